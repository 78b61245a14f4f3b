import type { V1ReplicaSet } from '@kubernetes/client-node';
import { COLOURS, type Colour } from '../validate/patterns.js';
import { colourName } from './colour-names.js';
import { readColourVersion } from './colour-version.js';
import { isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/** One colour's ReplicaSet as found in the cluster. */
export interface ColourStatus {
  colour: Colour;
  name: string;
  /** switchyard's version label; for a colour made by hand, its image tag (see readColourVersion). */
  version: string | null;
  /** How the version was read where switchyard did not record it, or why it is unknown. */
  versionNote?: string;
  replicas: number;
  readyReplicas: number;
  generation: number;
  observedGeneration: number;
  /** Being deleted (deletionTimestamp set). */
  deleting: boolean;
  replicaSet: V1ReplicaSet;
}

export interface AppColours {
  app: string;
  namespace: string;
  blue: ColourStatus | null;
  green: ColourStatus | null;
}

/** `container`: the app's configured container, whose image tag is the version of a colour made by hand. */
export function toColourStatus(colour: Colour, rs: V1ReplicaSet, container?: string): ColourStatus {
  const { version, note } = readColourVersion(rs, container);
  return {
    colour,
    name: rs.metadata?.name ?? '',
    version,
    ...(note ? { versionNote: note } : {}),
    replicas: rs.spec?.replicas ?? 1,
    readyReplicas: rs.status?.readyReplicas ?? 0,
    generation: rs.metadata?.generation ?? 0,
    observedGeneration: rs.status?.observedGeneration ?? 0,
    deleting: Boolean(rs.metadata?.deletionTimestamp),
    replicaSet: rs,
  };
}

/**
 * Reads both colours' ReplicaSets (`<app>-blue`, `<app>-green`) by name.
 * `container` is the app's configured one (else the first): a colour made by
 * hand has no version label, and its version is that container's image tag.
 *
 * @example
 * const { blue, green } = await readColours(kube, 'blog', 'blog', 'web');
 * if (blue && green) console.log(`both colours run: ${blue.version} and ${green.version}`);
 */
export async function readColours(kube: KubeClients, app: string, namespace: string, container?: string): Promise<AppColours> {
  const [blue, green] = await Promise.all(
    COLOURS.map(async (colour) => {
      const name = colourName(app, colour);
      try {
        return toColourStatus(colour, await kube.apps.readNamespacedReplicaSet({ name, namespace }), container);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw kubeError(err, 'read', `ReplicaSet ${namespace}/${name}`);
      }
    }),
  );
  return { app, namespace, blue: blue ?? null, green: green ?? null };
}

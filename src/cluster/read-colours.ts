import type { V1ReplicaSet } from '@kubernetes/client-node';
import { COLOURS, type Colour } from '../validate/patterns.js';
import { ANNOTATION_VERSION, colourName, LABEL_VERSION } from './colour-names.js';
import { isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/** One colour's ReplicaSet as found in the cluster. */
export interface ColourStatus {
  colour: Colour;
  name: string;
  version: string | null;
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

export function toColourStatus(colour: Colour, rs: V1ReplicaSet): ColourStatus {
  return {
    colour,
    name: rs.metadata?.name ?? '',
    version: rs.metadata?.labels?.[LABEL_VERSION] ?? rs.metadata?.annotations?.[ANNOTATION_VERSION] ?? null,
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
 *
 * @example
 * const { blue, green } = await readColours(kube, 'blog', 'blog');
 * if (blue && green) console.log(`both colours run: ${blue.version} and ${green.version}`);
 */
export async function readColours(kube: KubeClients, app: string, namespace: string): Promise<AppColours> {
  const [blue, green] = await Promise.all(
    COLOURS.map(async (colour) => {
      const name = colourName(app, colour);
      try {
        return toColourStatus(colour, await kube.apps.readNamespacedReplicaSet({ name, namespace }));
      } catch (err) {
        if (isNotFound(err)) return null;
        throw kubeError(err, 'read', `ReplicaSet ${namespace}/${name}`);
      }
    }),
  );
  return { app, namespace, blue: blue ?? null, green: green ?? null };
}

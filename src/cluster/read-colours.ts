import type { V1ReplicaSet } from '@kubernetes/client-node';
import { COLOURS, otherColour, type Colour } from '../validate/patterns.js';
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

/** What the cluster and the recorded state say together. */
export interface ColourAssessment {
  /** The recorded live colour; with none recorded, the only colour running (a site adopted as it is). */
  live: Colour | null;
  liveStatus: ColourStatus | null;
  /** The other colour also exists: a deploy in flight, or one left behind. */
  otherPresent: ColourStatus | null;
  /** Things a person should know, e.g. the recorded live colour has no ReplicaSet. */
  problems: string[];
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
 * const colours = await readColours(kube, 'blog', 'blog');
 * const { live, otherPresent } = assessColours(colours, state.live?.colour ?? null);
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

export function assessColours(colours: AppColours, recordedLive: Colour | null): ColourAssessment {
  const problems: string[] = [];
  const present = COLOURS.filter((c) => colours[c] !== null);
  let live = recordedLive;
  if (live === null && present.length === 1) live = present[0]!;
  if (live === null && present.length === 2) problems.push(`both ${colourName(colours.app, 'blue')} and ${colourName(colours.app, 'green')} exist and neither is recorded live`);
  const liveStatus = live ? colours[live] : null;
  if (live && !liveStatus) problems.push(`the live colour ${colourName(colours.app, live)} has no ReplicaSet in namespace ${colours.namespace}`);
  const otherPresent = live ? colours[otherColour(live)] : null;
  if (live && otherPresent) problems.push(`${otherPresent.name} exists beside the live ${colourName(colours.app, live)}: a deploy is in flight or was left behind`);
  return { live, liveStatus, otherPresent, problems };
}

/** The new colour runs as many replicas as the live one, else the app's fallback count. */
export const replicasForNewColour = (assessment: ColourAssessment, fallbackReplicas: number): number =>
  assessment.liveStatus?.replicas ?? fallbackReplicas;

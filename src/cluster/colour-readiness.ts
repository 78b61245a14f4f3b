import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { ANNOTATION_VERSION, colourName, LABEL_VERSION, type ColourRef } from './colour-names.js';
import { isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';
import { listWatch } from './list-watch.js';

/** Reasons a pod will not become Ready without someone acting. */
export type PodFailureReason = 'CrashLoopBackOff' | 'ImagePullBackOff' | 'ErrImagePull' | 'InvalidImageName' | 'CreateContainerConfigError' | 'Failed';

const WAITING_FAILURES: readonly string[] = ['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError'];

export interface PodFailure {
  pod: string;
  reason: PodFailureReason;
  message?: string;
}

/** One colour's readiness as seen now. */
export interface ColourReadiness {
  name: string;
  exists: boolean;
  deleting: boolean;
  version: string | null;
  /** Desired pods (spec.replicas). */
  replicas: number;
  /** Ready pods of the current ReplicaSet that are not terminating. */
  ready: number;
  /** Every pod with the colour's label, terminating ones too. */
  pods: number;
  generation: number;
  observedGeneration: number;
  /** Ready pods equal replicas, and the controller has seen the current generation: only then may traffic switch. */
  settled: boolean;
  /** The first pod that will not become Ready on its own. */
  failure: PodFailure | null;
}

type PodLike = Pick<V1Pod, 'metadata' | 'status'>;

const isReady = (pod: PodLike): boolean => !pod.metadata?.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

function podFailure(pod: PodLike): PodFailure | null {
  const name = pod.metadata?.name ?? '';
  if (pod.metadata?.deletionTimestamp) return null;
  if (pod.status?.phase === 'Failed') return { pod: name, reason: 'Failed', ...(pod.status.reason || pod.status.message ? { message: pod.status.reason ?? pod.status.message } : {}) };
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const reason = c.state?.waiting?.reason;
    if (reason && WAITING_FAILURES.includes(reason)) {
      return { pod: name, reason: reason as PodFailureReason, ...(c.state?.waiting?.message ? { message: c.state.waiting.message } : {}) };
    }
  }
  return null;
}

/** Pure: the readiness of a colour from its ReplicaSet (if any) and the pods carrying its label. */
export function assessReadiness(name: string, rs: V1ReplicaSet | undefined, pods: PodLike[]): ColourReadiness {
  const uid = rs?.metadata?.uid;
  const owned = pods.filter((p) => uid !== undefined && (p.metadata?.ownerReferences ?? []).some((r) => r.uid === uid && r.controller));
  const replicas = rs?.spec?.replicas ?? 0;
  const ready = owned.filter(isReady).length;
  const generation = rs?.metadata?.generation ?? 0;
  const observedGeneration = rs?.status?.observedGeneration ?? 0;
  const deleting = Boolean(rs?.metadata?.deletionTimestamp);
  return {
    name,
    exists: rs !== undefined,
    deleting,
    version: rs?.metadata?.labels?.[LABEL_VERSION] ?? rs?.metadata?.annotations?.[ANNOTATION_VERSION] ?? null,
    replicas,
    ready,
    pods: pods.length,
    generation,
    observedGeneration,
    settled: rs !== undefined && !deleting && observedGeneration >= generation && ready === replicas,
    failure: owned.map(podFailure).find((f) => f !== null) ?? null,
  };
}

/** A one-off look: is the colour settled right now? */
export async function readColourReadiness(kube: KubeClients, ref: ColourRef): Promise<ColourReadiness> {
  const name = colourName(ref.app, ref.colour);
  const [rs, pods] = await Promise.all([
    kube.apps.readNamespacedReplicaSet({ name, namespace: ref.namespace }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw kubeError(err, 'read', `ReplicaSet ${ref.namespace}/${name}`);
    }),
    kube.core.listNamespacedPod({ namespace: ref.namespace, labelSelector: `name=${name}` }).catch((err: unknown) => {
      throw kubeError(err, 'list', `pods of ${ref.namespace}/${name}`);
    }),
  ]);
  return assessReadiness(name, rs, pods.items);
}

export interface WatchReadinessOptions {
  signal: AbortSignal;
  /** A list or watch failed and is being retried. */
  onError?: (err: unknown) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Watches a colour's ReplicaSet and pods (each re-established when its stream
 * ends) and calls `onChange` with the readiness after every change, once both
 * have been listed. Returns when the signal aborts.
 *
 * @example
 * const stop = new AbortController();
 * void watchColourReadiness(kube, { app: 'blog', namespace: 'blog', colour: 'green' }, (r) => {
 *   if (r.ready < r.replicas) console.log(`${r.name} lost Ready pods`);
 * }, { signal: stop.signal });
 */
export async function watchColourReadiness(kube: KubeClients, ref: ColourRef, onChange: (r: ColourReadiness) => void, options: WatchReadinessOptions): Promise<void> {
  const name = colourName(ref.app, ref.colour);
  const ns = ref.namespace;
  let rs: V1ReplicaSet | undefined;
  const pods = new Map<string, V1Pod>();
  let rsSynced = false;
  let podsSynced = false;
  const changed = () => {
    if (rsSynced && podsSynced) onChange(assessReadiness(name, rs, [...pods.values()]));
  };
  const common = { signal: options.signal, ...(options.onError ? { onError: options.onError } : {}), ...(options.sleep ? { sleep: options.sleep } : {}) };
  await Promise.all([
    listWatch<V1ReplicaSet>(kube.watch, {
      ...common,
      list: () => kube.apps.listNamespacedReplicaSet({ namespace: ns, fieldSelector: `metadata.name=${name}` }),
      path: `/apis/apps/v1/namespaces/${ns}/replicasets`,
      query: { fieldSelector: `metadata.name=${name}` },
      onSync: (items) => {
        rs = items[0];
        rsSynced = true;
        changed();
      },
      onEvent: (type, obj) => {
        rs = type === 'DELETED' ? undefined : obj;
        changed();
      },
    }),
    listWatch<V1Pod>(kube.watch, {
      ...common,
      list: () => kube.core.listNamespacedPod({ namespace: ns, labelSelector: `name=${name}` }),
      path: `/api/v1/namespaces/${ns}/pods`,
      query: { labelSelector: `name=${name}` },
      onSync: (items) => {
        pods.clear();
        for (const p of items) pods.set(p.metadata?.name ?? '', p);
        podsSynced = true;
        changed();
      },
      onEvent: (type, obj) => {
        if (type === 'DELETED') pods.delete(obj.metadata?.name ?? '');
        else pods.set(obj.metadata?.name ?? '', obj);
        changed();
      },
    }),
  ]);
}

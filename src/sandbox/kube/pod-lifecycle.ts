import type { KubeObject } from './kube-object.js';
import type { KubeStore, StoreEvent } from './kube-store.js';
import { imageTags } from './pod-status.js';

/**
 * How a pod whose image carries a given tag fails, as a kubelet reports it:
 * the image cannot be pulled (ErrImagePull, then ImagePullBackOff), the
 * container keeps crashing (CrashLoopBackOff), it runs but its readiness probe
 * never passes (NeverReady), or it exits with an error (Failed).
 */
export type ImageFailure = 'ImagePullBackOff' | 'ErrImagePull' | 'CrashLoopBackOff' | 'NeverReady' | 'Failed';

export interface PodLifecycleOptions {
  /** From creation to Ready. */
  readyDelayMs: number;
  /** From creation to Running (containers started); defaults to half of readyDelayMs. */
  startDelayMs?: number;
  /** A deleted pod stays Terminating this long. */
  terminateDelayMs?: number;
}

type Obj = Record<string, unknown>;

/**
 * A kubelet stand-in: every pod goes Pending → Running → Ready after the
 * configured delays, unless one of its image tags is made to fail. Deleted
 * pods terminate after a short delay.
 *
 * @example
 * const kubelet = new PodLifecycle(store, { readyDelayMs: 50 });
 * kubelet.failImage('20151025.143403', 'CrashLoopBackOff');
 */
export class PodLifecycle {
  private readonly timers = new Map<string, Set<NodeJS.Timeout>>();
  private readonly failures = new Map<string, ImageFailure>();
  private readonly off: () => void;
  private readonly store: KubeStore;
  private readonly options: Required<PodLifecycleOptions>;

  constructor(store: KubeStore, options: PodLifecycleOptions) {
    this.store = store;
    this.options = {
      readyDelayMs: options.readyDelayMs,
      startDelayMs: options.startDelayMs ?? Math.floor(options.readyDelayMs / 2),
      terminateDelayMs: options.terminateDelayMs ?? 0,
    };
    this.off = store.subscribe((e) => this.onEvent(e));
  }

  /** Pods created from now on with an image of this tag fail this way. */
  failImage(tag: string, failure: ImageFailure): void {
    this.failures.set(tag, failure);
  }

  clearImageFailure(tag: string): void {
    this.failures.delete(tag);
  }

  /** A Ready pod's readiness probe starts failing (or passes again with ready=true). */
  setReady(namespace: string, podName: string, ready: boolean): void {
    this.store.mutate('pods', namespace, podName, (pod) => markReady(pod, ready));
  }

  close(): void {
    this.off();
    for (const set of this.timers.values()) for (const t of set) clearTimeout(t);
    this.timers.clear();
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource.kind !== 'Pod') return;
    const pod = e.object;
    const { uid, namespace, name } = pod.metadata;
    if (e.type === 'DELETED') return this.cancel(uid);
    if (e.type === 'ADDED') {
      this.start(pod);
    } else if (pod.metadata.deletionTimestamp && !e.previous?.metadata.deletionTimestamp) {
      this.cancel(uid);
      this.after(uid, this.options.terminateDelayMs, () => this.store.finishDeletion('pods', namespace, name));
    }
  }

  private start(pod: KubeObject): void {
    const { uid, namespace, name } = pod.metadata;
    const failure = imageTags(pod).map((t) => this.failures.get(t)).find((f) => f !== undefined);
    const set = (change: (p: KubeObject) => void) => () => this.store.mutate('pods', namespace, name, change);
    this.store.mutate('pods', namespace, name, (p) => {
      p.status = { phase: 'Pending', conditions: [condition('PodScheduled', true)], qosClass: 'BestEffort' };
    });
    const { startDelayMs, readyDelayMs } = this.options;
    if (failure === 'ImagePullBackOff' || failure === 'ErrImagePull') {
      this.after(uid, startDelayMs, set((p) => waiting(p, 'Pending', 'ErrImagePull', `failed to pull image: tag not found`)));
      if (failure === 'ImagePullBackOff') this.after(uid, startDelayMs * 2, set((p) => waiting(p, 'Pending', 'ImagePullBackOff', 'Back-off pulling image')));
      return;
    }
    if (failure === 'CrashLoopBackOff') {
      this.after(uid, startDelayMs, set((p) => waiting(p, 'Running', 'CrashLoopBackOff', 'back-off restarting failed container', 1)));
      return;
    }
    if (failure === 'Failed') {
      // The ReplicaSet replaces a failed pod at once; the floor keeps that churn slow.
      this.after(uid, Math.max(startDelayMs, 100), set((p) => terminated(p)));
      return;
    }
    this.after(uid, startDelayMs, set((p) => running(p)));
    if (failure !== 'NeverReady') this.after(uid, Math.max(readyDelayMs, startDelayMs), set((p) => markReady(p, true)));
  }

  private after(uid: string, ms: number, fn: () => void): void {
    let set = this.timers.get(uid);
    if (!set) this.timers.set(uid, (set = new Set()));
    const timer = setTimeout(() => {
      set.delete(timer);
      fn();
    }, ms);
    set.add(timer);
  }

  private cancel(uid: string): void {
    for (const t of this.timers.get(uid) ?? []) clearTimeout(t);
    this.timers.delete(uid);
  }
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function condition(type: string, ok: boolean, reason?: string): Obj {
  return { type, status: ok ? 'True' : 'False', lastTransitionTime: now(), ...(reason ? { reason } : {}) };
}

function containers(pod: KubeObject): { name: string; image: string }[] {
  return ((pod.spec as Obj).containers ?? []) as { name: string; image: string }[];
}

function baseStatus(pod: KubeObject, phase: string, ready: boolean, reason?: string): Obj {
  return {
    phase,
    conditions: [condition('PodScheduled', true), condition('Initialized', true), condition('ContainersReady', ready, reason), condition('Ready', ready, reason)],
    hostIP: '127.0.0.1',
    podIP: '10.244.0.' + (1 + (parseInt(pod.metadata.uid.slice(0, 2), 16) % 250)),
    startTime: now(),
    qosClass: 'BestEffort',
  };
}

function running(pod: KubeObject): void {
  pod.status = {
    ...baseStatus(pod, 'Running', false, 'ContainersNotReady'),
    containerStatuses: containers(pod).map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: true, restartCount: 0, state: { running: { startedAt: now() } } })),
  };
}

function markReady(pod: KubeObject, ready: boolean): void {
  const status = (pod.status ?? {}) as Obj;
  if (status.phase !== 'Running') return;
  const conditions = (status.conditions ?? []) as Obj[];
  status.conditions = conditions.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? condition(c.type as string, ready, ready ? undefined : 'ContainersNotReady') : c));
  status.containerStatuses = ((status.containerStatuses ?? []) as Obj[]).map((c) => ({ ...c, ready }));
}

function waiting(pod: KubeObject, phase: string, reason: string, message: string, restartCount = 0): void {
  pod.status = {
    ...baseStatus(pod, phase, false, 'ContainersNotReady'),
    containerStatuses: containers(pod).map((c) => ({
      name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount,
      state: { waiting: { reason, message } },
      ...(restartCount > 0 ? { lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: now() } } } : {}),
    })),
  };
}

function terminated(pod: KubeObject): void {
  pod.status = {
    ...baseStatus(pod, 'Failed', false, 'PodFailed'),
    containerStatuses: containers(pod).map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error', finishedAt: now() } } })),
  };
}

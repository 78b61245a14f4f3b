import type { KubeObject } from './kube-object.js';
import type { KubeStore, StoreEvent } from './kube-store.js';
import { controllerUid, isPodActive, isPodReady } from './pod-status.js';

type Obj = Record<string, unknown>;

/**
 * A small ReplicaSet controller and garbage collector, as kube-controller-manager
 * runs them: a ReplicaSet gets pods (owner reference, labels and spec from its
 * template) up to spec.replicas, extra pods are deleted (not-Ready ones first),
 * status counts replicas and Ready pods at observedGeneration, and dependents
 * go with their owner (Background after it, Foreground before it).
 *
 * Work is queued and done on the next turn of the event loop, so a burst of
 * changes is reconciled once, as a real controller's work queue does.
 *
 * @example
 * const controller = new ReplicaSetController(store);
 * // ... create ReplicaSets; pods appear
 * controller.close();
 */
export class ReplicaSetController {
  private readonly dirty = new Set<string>();
  private readonly deletedOwners = new Map<string, string>();
  private scheduled: NodeJS.Immediate | undefined;
  private readonly off: () => void;
  private readonly store: KubeStore;

  constructor(store: KubeStore) {
    this.store = store;
    this.off = store.subscribe((e) => this.onEvent(e));
  }

  close(): void {
    this.off();
    if (this.scheduled) clearImmediate(this.scheduled);
  }

  private onEvent(e: StoreEvent): void {
    const ns = e.object.metadata.namespace!;
    if (e.resource.kind === 'ReplicaSet') {
      if (e.type === 'DELETED') this.deletedOwners.set(e.object.metadata.uid, ns);
      else this.mark(ns, e.object.metadata.name);
    } else if (e.resource.kind === 'Pod') {
      for (const o of [e.object, e.previous]) {
        const owner = o?.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ReplicaSet');
        if (owner) this.mark(ns, owner.name);
      }
    } else return;
    this.schedule();
  }

  private mark(namespace: string, name: string): void {
    this.dirty.add(`${namespace}/${name}`);
  }

  private schedule(): void {
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  private flush(): void {
    for (const [uid, ns] of this.deletedOwners) {
      this.deletedOwners.delete(uid);
      this.deletePods(this.store.list('pods', ns).items.filter((p) => controllerUid(p) === uid));
    }
    for (const k of [...this.dirty]) {
      this.dirty.delete(k);
      const [ns, name] = k.split('/') as [string, string];
      this.reconcile(ns, name);
    }
  }

  private reconcile(namespace: string, name: string): void {
    const rs = this.store.find('replicasets', namespace, name);
    if (!rs) return;
    const owned = () => this.store.list('pods', namespace).items.filter((p) => controllerUid(p) === rs.metadata.uid);
    if (rs.metadata.deletionTimestamp) {
      if (!rs.metadata.finalizers?.includes('foregroundDeletion')) return;
      const pods = owned();
      this.deletePods(pods.filter((p) => !p.metadata.deletionTimestamp));
      if (pods.length === 0) this.store.patch('replicasets', namespace, name, { metadata: { finalizers: rs.metadata.finalizers.filter((f) => f !== 'foregroundDeletion') } }, 'application/merge-patch+json');
      return;
    }
    const spec = rs.spec as Obj;
    const want = spec.replicas as number;
    const active = owned().filter(isPodActive);
    if (active.length < want) for (let i = active.length; i < want; i++) this.createPod(rs);
    if (active.length > want) {
      const byPreference = [...active].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp));
      this.deletePods(byPreference.slice(0, active.length - want));
    }
    const now = owned().filter(isPodActive);
    const ready = now.filter(isPodReady).length;
    this.store.mutate('replicasets', namespace, name, (o) => {
      o.status = {
        replicas: now.length,
        fullyLabeledReplicas: now.length,
        ...(ready > 0 ? { readyReplicas: ready, availableReplicas: ready } : {}),
        observedGeneration: o.metadata.generation,
      };
    });
  }

  private createPod(rs: KubeObject): void {
    const template = ((rs.spec as Obj).template ?? {}) as { metadata?: Obj; spec?: Obj };
    const meta = template.metadata ?? {};
    this.store.create('pods', rs.metadata.namespace, {
      metadata: {
        generateName: `${rs.metadata.name}-`,
        ...(meta.labels ? { labels: meta.labels } : {}),
        ...(meta.annotations ? { annotations: meta.annotations } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...template.spec, nodeName: 'stand-in-node' },
    });
  }

  private deletePods(pods: KubeObject[]): void {
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      this.store.delete('pods', p.metadata.namespace, p.metadata.name);
    }
  }
}


import { randomUUID } from 'node:crypto';
import { definitionOf } from './api-schema.js';
import { applyPatch, type PatchType } from './apply-patch.js';
import { clone, KubeStatusError, sameContent, type KubeObject } from './kube-object.js';
import { parseFieldSelector, parseLabelSelector } from './label-selector.js';
import { apiVersionOf, qualifiedName, resourceTypeByPlural, type ResourceType } from './resource-types.js';
import { validateObject } from './validate-object.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, in resourceVersion order; `previous` lets a filtered watch turn a label change into ADDED/DELETED. */
export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
  previous?: KubeObject;
  resourceVersion: number;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface KubeStoreOptions {
  /** How many past events a watch can resume from before it gets 410 Gone. */
  historyLimit?: number;
  now?: () => Date;
}

type Obj = Record<string, unknown>;

/**
 * The stand-in API server's state: every object by resource, namespace and
 * name, one cluster-wide monotonic resourceVersion, and the recent events that
 * watches replay. In-process code (controllers, the sandbox's NodePort
 * responders, tests) reads it and subscribes to its changes directly.
 *
 * @example
 * const store = new KubeStore();
 * const off = store.subscribe((e) => console.log(e.type, e.object.metadata.name));
 * store.create('namespaces', undefined, { metadata: { name: 'blog' } });
 * off();
 */
export class KubeStore {
  private rv = 0;
  private compactedRv = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly historyLimit: number;
  private readonly now: () => Date;
  private nodePorts = new Set<number>();

  constructor(options: KubeStoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 2000;
    this.now = options.now ?? (() => new Date());
    for (const name of ['default', 'kube-system']) this.create('namespaces', undefined, { metadata: { name } });
  }

  get resourceVersion(): number {
    return this.rv;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `rv`, or 'expired' when some of them are no longer kept (a watch answers 410 Gone). */
  eventsAfter(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    return this.history.filter((e) => e.resourceVersion > rv);
  }

  /** Test hook: forget all past events, as etcd compaction does. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  get(plural: string, namespace: string | undefined, name: string): KubeObject {
    const t = resourceTypeByPlural(plural);
    const found = this.bucket(t).get(key(t, namespace, name));
    if (!found) throw notFound(t, name);
    return clone(found);
  }

  find(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const t = resourceTypeByPlural(plural);
    const found = this.bucket(t).get(key(t, namespace, name));
    return found && clone(found);
  }

  list(plural: string, namespace: string | undefined, options: ListOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const t = resourceTypeByPlural(plural);
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const items = [...this.bucket(t).values()]
      .filter((o) => (!t.namespaced || namespace === undefined || o.metadata.namespace === namespace) && labels(o.metadata.labels) && fields(o))
      .sort((a, b) => key(t, a.metadata.namespace, a.metadata.name).localeCompare(key(t, b.metadata.namespace, b.metadata.name)))
      .map(clone);
    return { items, resourceVersion: String(this.rv) };
  }

  create(plural: string, namespace: string | undefined, body: unknown): KubeObject {
    const t = resourceTypeByPlural(plural);
    const input = asObject(body, t);
    const meta = (input.metadata ?? {}) as Obj;
    // A client that creates what it read (resourceVersion and all) has a bug the real server reports.
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') throw badRequest('resourceVersion should not be set on objects to be created');
    if (t.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      if (!this.bucket(resourceTypeByPlural('namespaces')).has(namespace!)) throw notFound(resourceTypeByPlural('namespaces'), namespace!);
    }
    let name = typeof meta.name === 'string' ? meta.name : '';
    if (!name && typeof meta.generateName === 'string' && meta.generateName) name = meta.generateName + suffix();
    if (!name) throw new KubeStatusError(422, 'Invalid', `${t.kind} is invalid: metadata.name: Required value: name or generateName is required`, { kind: t.kind, causes: [{ field: 'metadata.name', message: 'Required value' }] });
    const k = key(t, namespace, name);
    if (this.bucket(t).has(k)) throw new KubeStatusError(409, 'AlreadyExists', `${qualifiedName(t)} ${JSON.stringify(name)} already exists`, { name, group: t.group, kind: t.plural });
    // Keys in the order the Go types serialize them: kind, apiVersion, metadata, then the rest.
    const { kind: _kind, apiVersion: _apiVersion, metadata: _metadata, ...fields } = input;
    const obj: KubeObject = {
      kind: t.kind,
      apiVersion: apiVersionOf(t),
      metadata: {
        ...(meta as Partial<KubeObject['metadata']>),
        name,
        ...(t.namespaced ? { namespace } : {}),
        uid: randomUUID(),
        resourceVersion: '',
        creationTimestamp: this.timestamp(),
        ...(t.hasStatus && t.kind !== 'Namespace' ? { generation: 1 } : {}),
      },
      ...fields,
    };
    delete obj.metadata.deletionTimestamp;
    if (t.kind === 'Namespace') obj.status = { phase: 'Active' };
    if (t.kind === 'ReplicaSet') obj.spec = { replicas: 1, ...(obj.spec as Obj) };
    if (t.kind === 'ReplicaSet' || t.kind === 'Pod') obj.status = t.kind === 'Pod' ? { phase: 'Pending' } : { replicas: 0 };
    validateObject(t, obj);
    if (t.kind === 'Service') this.allocateServicePorts(obj, undefined);
    this.bucket(t).set(k, obj);
    this.emit('ADDED', t, obj);
    return clone(obj);
  }

  /** PUT: compare-and-swap on metadata.resourceVersion when the body carries one. */
  replace(plural: string, namespace: string | undefined, name: string, body: unknown, subresource?: 'status'): KubeObject {
    const t = resourceTypeByPlural(plural);
    const current = this.bucket(t).get(key(t, namespace, name));
    if (!current) throw notFound(t, name);
    const input = asObject(body, t);
    const meta = (input.metadata ?? {}) as Obj;
    if (meta.name !== undefined && meta.name !== name) throw badRequest('the name of the object does not match the name on the URL');
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(t, name);
    }
    return this.store(t, current, input, subresource);
  }

  patch(plural: string, namespace: string | undefined, name: string, patch: unknown, type: PatchType, subresource?: 'status'): KubeObject {
    const t = resourceTypeByPlural(plural);
    const current = this.bucket(t).get(key(t, namespace, name));
    if (!current) throw notFound(t, name);
    const patched = applyPatch(clone(current), patch, type, definitionOf(t.group, t.kind).name) as KubeObject;
    const rv = patched?.metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) throw conflict(t, name);
    return this.store(t, current, patched, subresource);
  }

  /** Internal writes by the stand-in's own controllers: no resourceVersion check, no validation. */
  mutate(plural: string, namespace: string | undefined, name: string, change: (o: KubeObject) => void): KubeObject | undefined {
    const t = resourceTypeByPlural(plural);
    const current = this.bucket(t).get(key(t, namespace, name));
    if (!current) return undefined;
    const next = clone(current);
    change(next);
    if (sameContent(next, current)) return clone(current);
    return this.commit(t, current, next);
  }

  delete(plural: string, namespace: string | undefined, name: string, options: DeleteOptions = {}): { object: KubeObject; pending: boolean } {
    const t = resourceTypeByPlural(plural);
    const current = this.bucket(t).get(key(t, namespace, name));
    if (!current) throw notFound(t, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) throw conflict(t, name, 'Precondition failed: UID in precondition does not match the UID of the object');
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) throw conflict(t, name);
    if (options.propagationPolicy === 'Orphan') this.orphanDependents(current.metadata.uid);
    const graceful = t.kind === 'Pod' && (options.gracePeriodSeconds ?? 30) > 0;
    const foreground = options.propagationPolicy === 'Foreground';
    const finalizers = [...(current.metadata.finalizers ?? []), ...(foreground ? ['foregroundDeletion'] : [])];
    if (finalizers.length === 0 && !graceful) return { object: this.remove(t, current), pending: false };
    if (current.metadata.deletionTimestamp) return { object: clone(current), pending: true };
    const next = clone(current);
    next.metadata.deletionTimestamp = this.timestamp();
    if (finalizers.length > 0) next.metadata.finalizers = [...new Set(finalizers)];
    return { object: this.commit(t, current, next), pending: true };
  }

  /** Ends a deletion that was pending (grace period over, or finalizers done). */
  finishDeletion(plural: string, namespace: string | undefined, name: string): void {
    const t = resourceTypeByPlural(plural);
    const current = this.bucket(t).get(key(t, namespace, name));
    if (current?.metadata.deletionTimestamp) this.remove(t, current);
  }

  private store(t: ResourceType, current: KubeObject, input: Obj, subresource?: 'status'): KubeObject {
    const next = clone(current);
    if (subresource === 'status') next.status = input.status;
    else {
      // kind and apiVersion are the resource's, whatever the body said (or left out).
      for (const k of Object.keys(next)) if (k !== 'metadata' && k !== 'status' && k !== 'kind' && k !== 'apiVersion') delete next[k];
      for (const [k, v] of Object.entries(input)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') next[k] = clone(v);
      if (!t.hasStatus && input.status !== undefined) next.status = clone(input.status);
      const meta = (input.metadata ?? {}) as Obj;
      for (const field of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) {
        if (meta[field] === undefined) delete next.metadata[field];
        else (next.metadata as unknown as Obj)[field] = clone(meta[field]);
      }
      if (t.kind === 'ReplicaSet' && JSON.stringify((next.spec as Obj)?.selector) !== JSON.stringify((current.spec as Obj)?.selector)) {
        throw new KubeStatusError(422, 'Invalid', `ReplicaSet ${JSON.stringify(current.metadata.name)} is invalid: spec.selector: Invalid value: field is immutable`, {
          name: current.metadata.name, group: t.group, kind: t.kind, causes: [{ field: 'spec.selector', message: 'field is immutable' }],
        });
      }
      validateObject(t, next);
      if (t.kind === 'Service') this.allocateServicePorts(next, current);
      // status stays last, after the spec put back above, as it serializes.
      if ('status' in next) {
        const { status } = next;
        delete next.status;
        next.status = status;
      }
    }
    // Like etcd3's GuaranteedUpdate, a write that changes nothing is not stored: no new resourceVersion, no watch event.
    if (sameContent(next, current)) return clone(current);
    if (next.metadata.generation !== undefined && !sameContent(next.spec, current.spec)) next.metadata.generation += 1;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && t.kind !== 'Pod') {
      this.commit(t, current, next);
      return this.remove(t, this.bucket(t).get(key(t, next.metadata.namespace, next.metadata.name))!);
    }
    return this.commit(t, current, next);
  }

  private commit(t: ResourceType, current: KubeObject, next: KubeObject): KubeObject {
    this.bucket(t).set(key(t, next.metadata.namespace, next.metadata.name), next);
    this.emit('MODIFIED', t, next, current);
    return clone(next);
  }

  private remove(t: ResourceType, current: KubeObject): KubeObject {
    this.bucket(t).delete(key(t, current.metadata.namespace, current.metadata.name));
    if (t.kind === 'Service') for (const p of servicePorts(current)) this.nodePorts.delete(p);
    if (t.kind === 'Namespace') {
      for (const other of this.objects.keys()) {
        const ot = resourceTypeByPlural(other);
        if (!ot.namespaced) continue;
        for (const o of [...this.bucket(ot).values()]) if (o.metadata.namespace === current.metadata.name) this.remove(ot, o);
      }
    }
    const gone = clone(current);
    this.emit('DELETED', t, gone, current);
    return clone(gone);
  }

  private orphanDependents(uid: string): void {
    for (const plural of this.objects.keys()) {
      const t = resourceTypeByPlural(plural);
      for (const o of [...this.bucket(t).values()]) {
        if (!o.metadata.ownerReferences?.some((r) => r.uid === uid)) continue;
        const next = clone(o);
        next.metadata.ownerReferences = o.metadata.ownerReferences.filter((r) => r.uid !== uid);
        this.commit(t, o, next);
      }
    }
  }

  private allocateServicePorts(svc: KubeObject, previous: KubeObject | undefined): void {
    const spec = (svc.spec ?? {}) as Obj;
    if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') return;
    const own = new Set(previous ? servicePorts(previous) : []);
    for (const port of (spec.ports ?? []) as Obj[]) {
      if (typeof port.nodePort !== 'number') {
        let p = 30000;
        while (this.nodePorts.has(p)) p++;
        port.nodePort = p;
      } else if (this.nodePorts.has(port.nodePort) && !own.has(port.nodePort)) {
        throw new KubeStatusError(422, 'Invalid', `Service ${JSON.stringify(svc.metadata.name)} is invalid: spec.ports[0].nodePort: Invalid value: ${port.nodePort}: provided port is already allocated`, {
          name: svc.metadata.name, kind: 'Service', causes: [{ field: 'spec.ports[0].nodePort', message: 'provided port is already allocated' }],
        });
      }
    }
    for (const p of own) this.nodePorts.delete(p);
    for (const p of servicePorts(svc)) this.nodePorts.add(p);
  }

  private emit(type: WatchEventType, t: ResourceType, obj: KubeObject, previous?: KubeObject): void {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    const event: StoreEvent = { type, resource: t, object: clone(obj), resourceVersion: this.rv, ...(previous ? { previous: clone(previous) } : {}) };
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.compactedRv = this.history.shift()!.resourceVersion;
    for (const listener of [...this.listeners]) listener(event);
  }

  private bucket(t: ResourceType): Map<string, KubeObject> {
    let b = this.objects.get(t.plural);
    if (!b) this.objects.set(t.plural, (b = new Map()));
    return b;
  }

  private timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

const key = (t: ResourceType, namespace: string | undefined, name: string): string => (t.namespaced ? `${namespace}/${name}` : name);

function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

function servicePorts(svc: KubeObject): number[] {
  return (((svc.spec as Obj | undefined)?.ports ?? []) as Obj[]).map((p) => p.nodePort).filter((p): p is number => typeof p === 'number');
}

function asObject(body: unknown, t: ResourceType): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`the body of the request is not a ${t.kind} object`);
  const o = body as Obj;
  if (o.kind !== undefined && o.kind !== t.kind) throw badRequest(`the kind ${JSON.stringify(o.kind)} of the object does not match the resource ${qualifiedName(t)}`);
  if (o.apiVersion !== undefined && o.apiVersion !== apiVersionOf(t)) {
    throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
  }
  return clone(o);
}

function notFound(t: ResourceType, name: string): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', `${qualifiedName(t)} ${JSON.stringify(name)} not found`, { name, group: t.group, kind: t.plural });
}

function conflict(t: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): KubeStatusError {
  return new KubeStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(t)} ${JSON.stringify(name)}: ${why}`, { name, group: t.group, kind: t.plural });
}

function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message);
}

import type { KubeVerb } from './fault-injector.js';

/**
 * The resources the stand-in serves, with what discovery tells clients about
 * them (kubectl resolves `rs`, `cm`, `po` from the short names here).
 */
export interface ResourceType {
  group: '' | 'apps' | 'coordination.k8s.io';
  version: 'v1';
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** spec/status split: a PUT to the object keeps the stored status, and spec changes bump generation. */
  hasStatus: boolean;
  /** A `scale` subresource (autoscaling/v1 Scale) over spec.replicas, for `kubectl scale`. */
  hasScale: boolean;
  verbs: readonly KubeVerb[];
}

const VERBS: readonly KubeVerb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCE_TYPES: readonly ResourceType[] = [
  // Namespaces have no deletecollection on a real server either.
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'], hasStatus: true, hasScale: false, verbs: VERBS.filter((v) => v !== 'deletecollection') },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], hasStatus: true, hasScale: false, verbs: VERBS },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], hasStatus: true, hasScale: false, verbs: VERBS },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], hasStatus: false, hasScale: false, verbs: VERBS },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], hasStatus: false, hasScale: false, verbs: VERBS },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], hasStatus: true, hasScale: true, verbs: VERBS },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', singular: 'lease', namespaced: true, shortNames: [], hasStatus: false, hasScale: false, verbs: VERBS },
];

export const apiVersionOf = (t: ResourceType): string => (t.group ? `${t.group}/${t.version}` : t.version);
/** `replicasets.apps`, as the real server names a resource in messages. */
export const qualifiedName = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);

export function findResourceType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function resourceTypeByPlural(plural: string): ResourceType {
  const t = RESOURCE_TYPES.find((r) => r.plural === plural);
  if (!t) throw new Error(`stand-in has no resource ${plural}`);
  return t;
}

/** APIResourceList for `/api/v1` or `/apis/<group>/v1`, with the status and scale subresources. */
export function apiResourceList(group: string, version: string): Record<string, unknown> {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  const resources = types.flatMap((t) => {
    const main = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
    };
    const sub = ['get', 'patch', 'update'];
    const status = { name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: sub };
    const scale = { name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: sub };
    return [main, ...(t.hasStatus ? [status] : []), ...(t.hasScale ? [scale] : [])];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(RESOURCE_TYPES.map((t) => t.group).filter((g) => g !== ''))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((name) => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    })),
  };
}

import * as models from '@kubernetes/client-node';

/**
 * The schema of every kind the stand-in serves, under the names kube-apiserver
 * publishes (`io.k8s.api.apps.v1.ReplicaSet`, ...). It feeds the OpenAPI
 * documents kubectl reads, the unknown-field check of `fieldValidation`, and
 * strategic merge patch (which lists merge by which key).
 *
 * The fields come from @kubernetes/client-node's generated models, themselves
 * generated from kube-apiserver's OpenAPI, so no field of a served kind is
 * missing. Those models drop the patch strategies, so PATCH_META lists them
 * from the `patchStrategy`/`patchMergeKey` tags of the Go types.
 *
 * @example
 * const rs = definition('io.k8s.api.apps.v1.ReplicaSet');
 * rs.properties.spec; // { ref: 'io.k8s.api.apps.v1.ReplicaSetSpec' }
 */
export type FieldType =
  | { type: 'string' | 'integer' | 'number' | 'boolean'; format?: string }
  | { ref: string }
  | { array: FieldType; mergeKey?: string; strategy?: string }
  | { map: FieldType }
  /** Free-form JSON (FieldsV1, RawExtension). */
  | { object: 'any' };

export interface Definition {
  name: string;
  /** Scalar definitions (Time, IntOrString) are strings on the wire. */
  scalar?: { type: 'string'; format: string };
  properties: Record<string, FieldType>;
  gvk?: { group: string; version: string; kind: string };
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const PACKAGES: Record<string, string> = {
  ...Object.fromEntries(
    ['ObjectMeta', 'ListMeta', 'OwnerReference', 'ManagedFieldsEntry', 'LabelSelector', 'LabelSelectorRequirement', 'Condition', 'Status', 'StatusDetails', 'StatusCause', 'DeleteOptions', 'Preconditions'].map((n) => [n, META]),
  ),
  ...Object.fromEntries(['ReplicaSet', 'ReplicaSetList', 'ReplicaSetSpec', 'ReplicaSetStatus', 'ReplicaSetCondition'].map((n) => [n, 'io.k8s.api.apps.v1'])),
  ...Object.fromEntries(['Lease', 'LeaseList', 'LeaseSpec'].map((n) => [n, 'io.k8s.api.coordination.v1'])),
  ...Object.fromEntries(['Scale', 'ScaleSpec', 'ScaleStatus'].map((n) => [n, 'io.k8s.api.autoscaling.v1'])),
};

const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** `patchStrategy` and `patchMergeKey` of the lists under the served kinds (k8s.io/api types.go). */
const PATCH_META: Record<string, { strategy: string; mergeKey?: string }> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.ownerReferences': { strategy: 'merge', mergeKey: 'uid' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.finalizers': { strategy: 'merge' },
  'io.k8s.api.core.v1.PodSpec.volumes': { strategy: 'merge,retainKeys', mergeKey: 'name' },
  'io.k8s.api.core.v1.PodSpec.initContainers': { strategy: 'merge', mergeKey: 'name' },
  'io.k8s.api.core.v1.PodSpec.containers': { strategy: 'merge', mergeKey: 'name' },
  'io.k8s.api.core.v1.PodSpec.ephemeralContainers': { strategy: 'merge', mergeKey: 'name' },
  'io.k8s.api.core.v1.PodSpec.imagePullSecrets': { strategy: 'merge', mergeKey: 'name' },
  'io.k8s.api.core.v1.PodSpec.hostAliases': { strategy: 'merge', mergeKey: 'ip' },
  'io.k8s.api.core.v1.PodSpec.topologySpreadConstraints': { strategy: 'merge', mergeKey: 'topologyKey' },
  'io.k8s.api.core.v1.PodSpec.schedulingGates': { strategy: 'merge', mergeKey: 'name' },
  'io.k8s.api.core.v1.PodSpec.resourceClaims': { strategy: 'merge,retainKeys', mergeKey: 'name' },
  'io.k8s.api.core.v1.PodStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
  'io.k8s.api.core.v1.PodStatus.podIPs': { strategy: 'merge', mergeKey: 'ip' },
  'io.k8s.api.core.v1.PodStatus.hostIPs': { strategy: 'merge', mergeKey: 'ip' },
  'io.k8s.api.core.v1.PodStatus.resourceClaimStatuses': { strategy: 'merge,retainKeys', mergeKey: 'name' },
  ...Object.fromEntries(
    ['Container', 'EphemeralContainer'].flatMap((c) => [
      [`io.k8s.api.core.v1.${c}.ports`, { strategy: 'merge', mergeKey: 'containerPort' }],
      [`io.k8s.api.core.v1.${c}.env`, { strategy: 'merge', mergeKey: 'name' }],
      [`io.k8s.api.core.v1.${c}.volumeMounts`, { strategy: 'merge', mergeKey: 'mountPath' }],
      [`io.k8s.api.core.v1.${c}.volumeDevices`, { strategy: 'merge', mergeKey: 'devicePath' }],
    ]),
  ),
  'io.k8s.api.core.v1.ServiceSpec.ports': { strategy: 'merge', mergeKey: 'port' },
  'io.k8s.api.core.v1.ServiceStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
  'io.k8s.api.core.v1.NamespaceStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
  'io.k8s.api.apps.v1.ReplicaSetStatus.conditions': { strategy: 'merge', mergeKey: 'type' },
};

/** The roots: each served kind, its list, the Scale of the scale subresource, and the Status and DeleteOptions of deletes. */
const ROOTS: Record<string, { group: string; kind: string }> = {
  V1ReplicaSet: { group: 'apps', kind: 'ReplicaSet' },
  V1ReplicaSetList: { group: 'apps', kind: 'ReplicaSetList' },
  V1Pod: { group: '', kind: 'Pod' },
  V1PodList: { group: '', kind: 'PodList' },
  V1Service: { group: '', kind: 'Service' },
  V1ServiceList: { group: '', kind: 'ServiceList' },
  V1ConfigMap: { group: '', kind: 'ConfigMap' },
  V1ConfigMapList: { group: '', kind: 'ConfigMapList' },
  V1Namespace: { group: '', kind: 'Namespace' },
  V1NamespaceList: { group: '', kind: 'NamespaceList' },
  CoreV1Event: { group: '', kind: 'Event' },
  CoreV1EventList: { group: '', kind: 'EventList' },
  V1Lease: { group: 'coordination.k8s.io', kind: 'Lease' },
  V1LeaseList: { group: 'coordination.k8s.io', kind: 'LeaseList' },
  V1Scale: { group: 'autoscaling', kind: 'Scale' },
  V1Status: { group: '', kind: 'Status' },
  V1DeleteOptions: { group: '', kind: 'DeleteOptions' },
};

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}
type Model = { getAttributeTypeMap?: () => Attribute[] };

function definitionName(model: string): string {
  const short = model.replace(/^(CoreV1|V1)/, '');
  if (short === 'MicroTime') return MICRO_TIME;
  return `${PACKAGES[short] ?? 'io.k8s.api.core.v1'}.${short}`;
}

function build(): Map<string, Definition> {
  const defs = new Map<string, Definition>([
    [TIME, { name: TIME, scalar: { type: 'string', format: 'date-time' }, properties: {} }],
    [MICRO_TIME, { name: MICRO_TIME, scalar: { type: 'string', format: 'date-time-micro' }, properties: {} }],
    [INT_OR_STRING, { name: INT_OR_STRING, scalar: { type: 'string', format: 'int-or-string' }, properties: {} }],
  ]);
  const fieldType = (type: string, format: string): FieldType => {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { array: fieldType(array[1]!, format) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { map: fieldType(map[1]!, format) };
    if (type === 'Date') return { ref: format === 'date-time-micro' ? MICRO_TIME : TIME };
    if (type === 'IntOrString') return { ref: INT_OR_STRING };
    if (type === 'any') return { object: 'any' };
    if (type === 'boolean') return { type: 'boolean' };
    if (type === 'string') return format ? { type: 'string', format } : { type: 'string' };
    if (type === 'number') return format === 'double' ? { type: 'number', format } : { type: 'integer', format };
    return { ref: visit(type) };
  };
  const visit = (model: string): string => {
    const name = definitionName(model);
    if (defs.has(name)) return name;
    const attributes = ((models as unknown as Record<string, Model>)[model]?.getAttributeTypeMap?.() ?? []) as Attribute[];
    if (attributes.length === 0) throw new Error(`stand-in schema: no model ${model} in @kubernetes/client-node`);
    const def: Definition = { name, properties: {} };
    defs.set(name, def);
    for (const a of attributes) {
      const t = fieldType(a.type, a.format);
      const patch = PATCH_META[`${name}.${a.baseName}`];
      def.properties[a.baseName] = patch && 'array' in t ? { ...t, strategy: patch.strategy, ...(patch.mergeKey ? { mergeKey: patch.mergeKey } : {}) } : t;
    }
    return name;
  };
  for (const [model, { group, kind }] of Object.entries(ROOTS)) {
    const def = defs.get(visit(model))!;
    def.gvk = { group, version: 'v1', kind };
  }
  // A list renamed in a newer client-node would otherwise lose its merge key without a word.
  for (const field of Object.keys(PATCH_META)) {
    const at = field.lastIndexOf('.');
    const t = defs.get(field.slice(0, at))?.properties[field.slice(at + 1)];
    if (!t || !('array' in t)) throw new Error(`stand-in schema: no list ${field} for its patch strategy`);
  }
  return defs;
}

let cache: { byName: Map<string, Definition>; byKind: Map<string, Definition> } | undefined;

function built(): NonNullable<typeof cache> {
  if (!cache) {
    const byName = build();
    const byKind = new Map([...byName.values()].filter((d) => d.gvk).map((d) => [`${d.gvk!.group}/${d.gvk!.kind}`, d]));
    cache = { byName, byKind };
  }
  return cache;
}

export function definitions(): Map<string, Definition> {
  return built().byName;
}

export function definition(name: string): Definition {
  const def = definitions().get(name);
  if (!def) throw new Error(`stand-in schema has no ${name}`);
  return def;
}

/** The definition of a served kind: `definitionOf('apps', 'ReplicaSet')`. */
export function definitionOf(group: string, kind: string): Definition {
  const def = built().byKind.get(`${group}/${kind}`);
  if (!def) throw new Error(`stand-in schema has no kind ${kind} in group ${JSON.stringify(group)}`);
  return def;
}

import { KubeStatusError, type KubeObject, type StatusCause } from './kube-object.js';
import { parseLabelSelector } from './label-selector.js';
import type { ResourceType } from './resource-types.js';

/**
 * The checks the real API server makes that switchyard's requests could trip:
 * names, labels, a ReplicaSet whose selector does not match its template, a pod
 * without containers, NodePorts out of range. Each failure is a 422 Invalid
 * naming the field, as kube-apiserver answers.
 */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);

function checkName(t: ResourceType, o: KubeObject, causes: StatusCause[]): void {
  const name = o.metadata.name;
  const dnsLabel = t.plural === 'namespaces' || t.plural === 'services';
  const ok = dnsLabel ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) causes.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 ${dnsLabel ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.'` });
}

function checkLabels(labels: unknown, field: string, causes: StatusCause[]): void {
  for (const [k, v] of Object.entries(obj(labels) ?? {})) {
    if (!LABEL_KEY.test(k)) causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(k)}: not a valid label key` });
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(v)}: not a valid label value` });
  }
}

function checkContainers(spec: Obj | undefined, field: string, causes: StatusCause[]): void {
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push({ field: `${field}.containers`, reason: 'FieldValueRequired', message: 'Required value' });
    return;
  }
  containers.forEach((c, i) => {
    const container = obj(c);
    if (typeof container?.name !== 'string' || !LABEL.test(container.name)) causes.push({ field: `${field}.containers[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
    if (typeof container?.image !== 'string' || container.image.trim() === '') causes.push({ field: `${field}.containers[${i}].image`, reason: 'FieldValueRequired', message: 'Required value' });
  });
}

/** matchLabels and matchExpressions as one label selector string, ordered by key as LabelSelectorAsSelector orders them. */
export function selectorString(selector: unknown): string {
  const s = obj(selector) ?? {};
  const terms: { key: string; text: string }[] = Object.entries(obj(s.matchLabels) ?? {}).map(([k, v]) => ({ key: k, text: `${k}=${String(v)}` }));
  for (const e of (Array.isArray(s.matchExpressions) ? s.matchExpressions : []) as { key: string; operator: string; values?: string[] }[]) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') terms.push({ key: e.key, text: `${e.key} in (${values})` });
    else if (e.operator === 'NotIn') terms.push({ key: e.key, text: `${e.key} notin (${values})` });
    else if (e.operator === 'Exists') terms.push({ key: e.key, text: e.key });
    else if (e.operator === 'DoesNotExist') terms.push({ key: e.key, text: `!${e.key}` });
  }
  return terms
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((t) => t.text)
    .join(',');
}

function checkReplicaSet(o: KubeObject, causes: StatusCause[]): void {
  const spec = obj(o.spec);
  const replicas = spec?.replicas ?? 1;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) causes.push({ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` });
  const selector = selectorString(spec?.selector);
  if (selector === '') {
    causes.push({ field: 'spec.selector', reason: 'FieldValueRequired', message: 'Required value' });
    return;
  }
  const template = obj(spec?.template);
  const templateLabels = obj(obj(template?.metadata)?.labels) as Record<string, string> | undefined;
  checkLabels(templateLabels, 'spec.template.metadata.labels', causes);
  if (!parseLabelSelector(selector)(templateLabels)) causes.push({ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid', message: '`selector` does not match template `labels`' });
  checkContainers(obj(template?.spec), 'spec.template.spec', causes);
}

function checkService(o: KubeObject, causes: StatusCause[]): void {
  const spec = obj(o.spec);
  const ports = spec?.ports;
  if (!Array.isArray(ports) || ports.length === 0) {
    causes.push({ field: 'spec.ports', reason: 'FieldValueRequired', message: 'Required value' });
    return;
  }
  ports.forEach((p, i) => {
    const nodePort = obj(p)?.nodePort;
    if (nodePort !== undefined && (typeof nodePort !== 'number' || nodePort < 30000 || nodePort > 32767)) {
      causes.push({ field: `spec.ports[${i}].nodePort`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(nodePort)}: provided port is not in the valid range. The range of valid ports is 30000-32767` });
    }
  });
}

export function validateObject(t: ResourceType, o: KubeObject): void {
  const causes: StatusCause[] = [];
  checkName(t, o, causes);
  checkLabels(o.metadata.labels, 'metadata.labels', causes);
  if (t.kind === 'ReplicaSet') checkReplicaSet(o, causes);
  if (t.kind === 'Pod') checkContainers(obj(o.spec), 'spec', causes);
  if (t.kind === 'Service') checkService(o, causes);
  if (t.kind === 'ConfigMap') {
    for (const [k, v] of Object.entries(obj(o.data) ?? {})) {
      if (typeof v !== 'string') causes.push({ field: `data[${k}]`, reason: 'FieldValueInvalid', message: 'Invalid value: must be a string' });
    }
  }
  if (t.kind === 'Lease') {
    const d = obj(o.spec)?.leaseDurationSeconds;
    if (d !== undefined && (typeof d !== 'number' || d <= 0)) causes.push({ field: 'spec.leaseDurationSeconds', reason: 'FieldValueInvalid', message: 'Invalid value: must be greater than 0' });
  }
  if (causes.length > 0) {
    const what = `${t.kind} ${JSON.stringify(o.metadata.name)}`;
    throw new KubeStatusError(422, 'Invalid', `${what} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
      name: o.metadata.name,
      group: t.group,
      kind: t.kind,
      causes,
    });
  }
}

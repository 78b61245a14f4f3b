import type { KubeObject } from './kube-object.js';
import type { ResourceType } from './resource-types.js';

/**
 * Server-side printing: kubectl asks for a `Table` (meta.k8s.io/v1) and prints
 * its columns, as it does against a real API server (READY 1/1, STATUS,
 * DESIRED/CURRENT/READY ...).
 */
export const wantsTable = (accept: string | undefined): boolean => /as=Table/.test(accept ?? '');

type Obj = Record<string, unknown>;
type Column = { name: string; type: 'string' | 'integer'; cell: (o: KubeObject) => string | number };

function age(o: KubeObject): string {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(o.metadata.creationTimestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

const spec = (o: KubeObject) => (o.spec ?? {}) as Obj;
const status = (o: KubeObject) => (o.status ?? {}) as Obj;
const containerStatuses = (o: KubeObject) => (status(o).containerStatuses ?? []) as { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string } } }[];

function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const waiting = containerStatuses(o).find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
  return waiting ?? String(status(o).phase ?? 'Pending');
}

const name: Column = { name: 'Name', type: 'string', cell: (o) => o.metadata.name };
const ageColumn: Column = { name: 'Age', type: 'string', cell: age };

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    name,
    { name: 'Ready', type: 'string', cell: (o) => `${containerStatuses(o).filter((c) => c.ready).length}/${((spec(o).containers ?? []) as unknown[]).length}` },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'integer', cell: (o) => containerStatuses(o).reduce((n, c) => n + (c.restartCount ?? 0), 0) },
    ageColumn,
  ],
  ReplicaSet: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => Number(spec(o).replicas ?? 0) },
    { name: 'Current', type: 'integer', cell: (o) => Number(status(o).replicas ?? 0) },
    { name: 'Ready', type: 'integer', cell: (o) => Number(status(o).readyReplicas ?? 0) },
    ageColumn,
  ],
  Service: [
    name,
    { name: 'Type', type: 'string', cell: (o) => String(spec(o).type ?? 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => String(spec(o).clusterIP ?? '<none>') },
    { name: 'Port(s)', type: 'string', cell: (o) => ((spec(o).ports ?? []) as Obj[]).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') },
    ageColumn,
  ],
  ConfigMap: [name, { name: 'Data', type: 'integer', cell: (o) => Object.keys((o.data ?? {}) as Obj).length }, ageColumn],
  Namespace: [name, { name: 'Status', type: 'string', cell: (o) => String(status(o).phase ?? 'Active') }, ageColumn],
  Lease: [name, { name: 'Holder', type: 'string', cell: (o) => String(spec(o).holderIdentity ?? '') }, ageColumn],
};

export function toTable(type: ResourceType, items: KubeObject[], resourceVersion: string): Obj {
  const columns = COLUMNS[type.kind] ?? [name, ageColumn];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c, i) => ({ name: c.name, type: c.type, format: i === 0 ? 'name' : '', description: c.name, priority: 0 })),
    rows: items.map((o) => ({
      cells: columns.map((c) => c.cell(o)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

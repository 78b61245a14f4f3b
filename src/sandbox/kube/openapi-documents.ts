import { createHash } from 'node:crypto';
import { definitionOf, definitions, type Definition, type FieldType } from './api-schema.js';
import { encodeOpenApiV2 } from './openapi-v2-protobuf.js';
import { apiVersionOf, RESOURCE_TYPES, type ResourceType } from './resource-types.js';

/**
 * The OpenAPI documents kube-apiserver publishes, for the kinds and
 * operations the stand-in serves: `/openapi/v2` (one Swagger 2.0 document)
 * and `/openapi/v3` (an index pointing at one document per group-version).
 * kubectl reads them to learn that the server validates fields itself
 * (`fieldValidation` on each PATCH), and which lists strategic merge merges
 * by which key when `kubectl apply` computes its patch.
 *
 * Only what the stand-in serves is listed: JSON in and out, the three patch
 * types it applies, no dry run and no server-side apply.
 *
 * @example
 * const docs = new OpenApiDocuments('v1.31.0');
 * docs.v3Index(); // { paths: { 'apis/apps/v1': { serverRelativeURL: '/openapi/v3/apis/apps/v1?hash=...' }, ... } }
 */
type Json = Record<string, unknown>;
type Operation = 'list' | 'listAll' | 'create' | 'deletecollection' | 'read' | 'replace' | 'patch' | 'delete';

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const ACTION: Record<Operation, string> = {
  list: 'list', listAll: 'list', create: 'post', deletecollection: 'deletecollection', read: 'get', replace: 'put', patch: 'patch', delete: 'delete',
};
const METHOD: Record<Operation, 'get' | 'post' | 'put' | 'patch' | 'delete'> = {
  list: 'get', listAll: 'get', create: 'post', deletecollection: 'delete', read: 'get', replace: 'put', patch: 'patch', delete: 'delete',
};

interface Param {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'integer' | 'boolean';
}

const q = (name: string, type: Param['type'] = 'string'): Param => ({ name, in: 'query', type });
const LIST_PARAMS = [
  q('allowWatchBookmarks', 'boolean'), q('continue'), q('fieldSelector'), q('labelSelector'), q('limit', 'integer'),
  q('resourceVersion'), q('resourceVersionMatch'), q('sendInitialEvents', 'boolean'), q('timeoutSeconds', 'integer'), q('watch', 'boolean'),
];
const WRITE_PARAMS = [q('fieldManager'), q('fieldValidation')];
const DELETE_PARAMS = [q('gracePeriodSeconds', 'integer'), q('orphanDependents', 'boolean'), q('propagationPolicy')];

const OPERATION_PARAMS: Record<Operation, Param[]> = {
  list: LIST_PARAMS, listAll: LIST_PARAMS, create: WRITE_PARAMS, read: [], replace: WRITE_PARAMS, patch: WRITE_PARAMS,
  delete: DELETE_PARAMS, deletecollection: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks')],
};

interface PathSpec {
  path: string;
  params: Param[];
  operations: Operation[];
  gvk: { group: string; version: string; kind: string };
  /** The kind an operation takes and answers with, by definition name. */
  schema: string;
  subresource?: 'status' | 'scale';
}

/** `apps_v1`, `AppsV1`, `coordination_v1`, `CoreV1` as kube-apiserver names tags and operation ids. */
function groupNames(t: ResourceType): { tag: string; prefix: string } {
  const word = t.group === '' ? 'core' : t.group.split('.')[0]!;
  return { tag: `${word}_${t.version}`, prefix: `${word[0]!.toUpperCase()}${word.slice(1)}${t.version.toUpperCase()}` };
}

function pathsOf(t: ResourceType): PathSpec[] {
  const root = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const schema = definitionOf(t.group, t.kind).name;
  const ns = t.namespaced ? [{ name: 'namespace', in: 'path' as const, type: 'string' as const }] : [];
  const collection = t.namespaced ? `${root}/namespaces/{namespace}/${t.plural}` : `${root}/${t.plural}`;
  const name = { name: 'name', in: 'path' as const, type: 'string' as const };
  const pretty = q('pretty');
  const specs: PathSpec[] = [
    { path: collection, params: [...ns, pretty], operations: ['list', 'create', ...(t.verbs.includes('deletecollection') ? ['deletecollection' as const] : [])], gvk, schema },
    { path: `${collection}/{name}`, params: [name, ...ns, pretty], operations: ['read', 'replace', 'patch', 'delete'], gvk, schema },
  ];
  if (t.namespaced) specs.push({ path: `${root}/${t.plural}`, params: [pretty], operations: ['listAll'], gvk, schema });
  if (t.hasStatus) specs.push({ path: `${collection}/{name}/status`, params: [name, ...ns, pretty], operations: ['read', 'replace', 'patch'], gvk, schema, subresource: 'status' });
  if (t.hasScale) {
    specs.push({
      path: `${collection}/{name}/scale`, params: [name, ...ns, pretty], operations: ['read', 'replace', 'patch'],
      gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, schema: definitionOf('autoscaling', 'Scale').name, subresource: 'scale',
    });
  }
  return specs;
}

function operationId(t: ResourceType, spec: PathSpec, op: Operation): string {
  const verb = op === 'listAll' ? 'list' : op === 'deletecollection' ? 'deleteCollection' : op;
  const scope = t.namespaced && op !== 'listAll' ? 'Namespaced' : '';
  const suffix = spec.subresource === 'status' ? 'Status' : spec.subresource === 'scale' ? 'Scale' : '';
  return `${verb}${groupNames(t).prefix}${scope}${t.kind}${suffix}${op === 'listAll' ? 'ForAllNamespaces' : ''}`;
}

/** What an operation answers with: the kind, its list, or a Status for a collection delete. */
function responseSchema(spec: PathSpec, op: Operation): string {
  if (op === 'list' || op === 'listAll') return definitionOf(spec.gvk.group, `${spec.gvk.kind}List`).name;
  if (op === 'deletecollection') return definitionOf('', 'Status').name;
  return spec.schema;
}

function responseCodes(op: Operation): string[] {
  if (op === 'create') return ['200', '201', '202'];
  if (op === 'replace' || op === 'patch') return ['200', '201'];
  if (op === 'delete') return ['200', '202'];
  return ['200'];
}

const DESCRIPTION: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };

/** One operation of one path, in neither OpenAPI version's shape yet. */
interface OperationSpec {
  method: (typeof METHOD)[Operation];
  tag: string;
  operationId: string;
  params: Param[];
  /** The definition the request body is, or 'patch' for any of the patch types. */
  body: { schema: string | 'patch'; required: boolean } | undefined;
  response: string;
  codes: string[];
  action: string;
  gvk: PathSpec['gvk'];
}

function operationsOf(t: ResourceType): { path: string; params: Param[]; operations: OperationSpec[] }[] {
  const deleteOptions = definitionOf('', 'DeleteOptions').name;
  return pathsOf(t).map((spec) => ({
    path: spec.path,
    params: spec.params,
    operations: spec.operations.map((op) => ({
      method: METHOD[op],
      tag: groupNames(t).tag,
      operationId: operationId(t, spec, op),
      params: OPERATION_PARAMS[op],
      body: op === 'create' || op === 'replace' ? { schema: spec.schema, required: true }
        : op === 'patch' ? { schema: 'patch', required: true }
        : op === 'delete' || op === 'deletecollection' ? { schema: deleteOptions, required: false }
        : undefined,
      response: responseSchema(spec, op),
      codes: responseCodes(op),
      action: ACTION[op],
      gvk: spec.gvk,
    })),
  }));
}

/** One field's schema; `ref` turns a definition name into a reference. */
function fieldSchema(t: FieldType, ref: (name: string) => string): Json {
  if ('type' in t) return t.format ? { type: t.type, format: t.format } : { type: t.type };
  if ('ref' in t) return { $ref: ref(t.ref) };
  if ('map' in t) return { type: 'object', additionalProperties: fieldSchema(t.map, ref) };
  if ('object' in t) return { type: 'object' };
  return {
    type: 'array',
    items: fieldSchema(t.array, ref),
    ...(t.mergeKey ? { 'x-kubernetes-patch-merge-key': t.mergeKey } : {}),
    ...(t.strategy ? { 'x-kubernetes-patch-strategy': t.strategy } : {}),
  };
}

function definitionSchema(d: Definition, ref: (name: string) => string): Json {
  if (d.scalar) return { ...d.scalar };
  const properties = Object.fromEntries(Object.keys(d.properties).sort().map((k) => [k, fieldSchema(d.properties[k]!, ref)]));
  return { type: 'object', properties, ...(d.gvk ? { 'x-kubernetes-group-version-kind': [d.gvk] } : {}) };
}

/** Every definition `roots` reach, sorted by name as the real documents are. */
function closure(roots: string[]): string[] {
  const all = definitions();
  const seen = new Set<string>();
  const walk = (t: FieldType): void => {
    if ('ref' in t) visit(t.ref);
    else if ('array' in t) walk(t.array);
    else if ('map' in t) walk(t.map);
  };
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    Object.values(all.get(name)!.properties).forEach(walk);
  };
  roots.forEach(visit);
  return [...seen].sort();
}

const groupVersionOf = (t: ResourceType): string => (t.group ? `apis/${apiVersionOf(t)}` : `api/${t.version}`);

const sortedObject = (entries: [string, unknown][]): Json => Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));

export class OpenApiDocuments {
  private readonly version: string;
  private v2Cache: Json | undefined;
  private v2ProtobufCache: Buffer | undefined;
  private readonly v3Cache = new Map<string, { json: string; hash: string }>();

  constructor(gitVersion: string) {
    this.version = gitVersion;
  }

  /** Each path of `types` shaped by `shape`, and the definitions its operations name. */
  private paths(types: readonly ResourceType[], shape: (params: Param[], operations: OperationSpec[]) => Json): { paths: Json; roots: string[] } {
    const roots = new Set<string>();
    const entries: [string, unknown][] = [];
    for (const t of types) {
      for (const { path, params, operations } of operationsOf(t)) {
        for (const o of operations) {
          roots.add(o.response);
          if (o.body && o.body.schema !== 'patch') roots.add(o.body.schema);
        }
        entries.push([path, shape(params, operations)]);
      }
    }
    return { paths: sortedObject(entries), roots: [...roots] };
  }

  v2(): Json {
    if (this.v2Cache) return this.v2Cache;
    const ref = (name: string) => `#/definitions/${name}`;
    const parameter = (p: Param) => ({ name: p.name, in: p.in, type: p.type, uniqueItems: true, ...(p.in === 'path' ? { required: true } : {}) });
    const { paths, roots } = this.paths(RESOURCE_TYPES, (params, operations) => ({
      parameters: params.map(parameter),
      ...Object.fromEntries(operations.map((o) => [o.method, {
        tags: [o.tag],
        operationId: o.operationId,
        consumes: o.body?.schema === 'patch' ? PATCH_TYPES : ['*/*'],
        produces: ['application/json'],
        schemes: ['https'],
        parameters: [
          ...(o.body ? [{ name: 'body', in: 'body', ...(o.body.required ? { required: true } : {}), schema: o.body.schema === 'patch' ? { type: 'object' } : { $ref: ref(o.body.schema) } }] : []),
          ...o.params.map(parameter),
        ],
        responses: Object.fromEntries(o.codes.map((code) => [code, { description: DESCRIPTION[code], schema: { $ref: ref(o.response) } }])),
        'x-kubernetes-action': o.action,
        'x-kubernetes-group-version-kind': o.gvk,
      }])),
    }));
    this.v2Cache = {
      swagger: '2.0',
      info: { title: 'Kubernetes', version: this.version },
      paths,
      definitions: sortedObject(closure(roots).map((name) => [name, definitionSchema(definitions().get(name)!, ref)])),
      securityDefinitions: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' } },
      security: [{ BearerToken: [] }],
    };
    return this.v2Cache;
  }

  /** The v2 document as gnostic's protobuf, which kubectl asks for. */
  v2Protobuf(): Buffer {
    this.v2ProtobufCache ??= encodeOpenApiV2(this.v2());
    return this.v2ProtobufCache;
  }

  /** The group-versions with a v3 document: `api/v1`, `apis/apps/v1`, ... */
  groupVersions(): string[] {
    return [...new Set(RESOURCE_TYPES.map(groupVersionOf))].sort();
  }

  /** `/openapi/v3`: each group-version's document, addressed by the hash of its content so clients can cache it. */
  v3Index(): Json {
    return { paths: Object.fromEntries(this.groupVersions().map((gv) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3(gv)!.hash}` }])) };
  }

  v3(groupVersion: string): { json: string; hash: string } | undefined {
    if (!this.groupVersions().includes(groupVersion)) return undefined;
    const cached = this.v3Cache.get(groupVersion);
    if (cached) return cached;
    const ref = (name: string) => `#/components/schemas/${name}`;
    const parameter = (p: Param) => ({ name: p.name, in: p.in, schema: { type: p.type, uniqueItems: true }, ...(p.in === 'path' ? { required: true } : {}) });
    const types = RESOURCE_TYPES.filter((t) => groupVersionOf(t) === groupVersion);
    const { paths, roots } = this.paths(types, (params, operations) => ({
      parameters: params.map(parameter),
      ...Object.fromEntries(operations.map((o) => [o.method, {
        tags: [o.tag],
        operationId: o.operationId,
        parameters: o.params.map(parameter),
        ...(o.body ? {
          requestBody: {
            content: o.body.schema === 'patch' ? Object.fromEntries(PATCH_TYPES.map((type) => [type, { schema: { type: 'object' } }])) : { '*/*': { schema: { $ref: ref(o.body.schema) } } },
            ...(o.body.required ? { required: true } : {}),
          },
        } : {}),
        responses: Object.fromEntries(o.codes.map((code) => [code, { description: DESCRIPTION[code], content: { 'application/json': { schema: { $ref: ref(o.response) } } } }])),
        'x-kubernetes-action': o.action,
        'x-kubernetes-group-version-kind': o.gvk,
      }])),
    }));
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: this.version },
      paths,
      components: {
        schemas: sortedObject(closure(roots).map((name) => [name, definitionSchema(definitions().get(name)!, ref)])),
        securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
      },
    };
    const json = JSON.stringify(doc);
    const entry = { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
    this.v3Cache.set(groupVersion, entry);
    return entry;
  }
}

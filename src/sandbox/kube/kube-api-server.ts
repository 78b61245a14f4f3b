import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { definitionOf } from './api-schema.js';
import { applyPatch, type PatchType } from './apply-patch.js';
import { FaultInjector, type KubeVerb, type RequestTarget } from './fault-injector.js';
import { decodeBody, decodePatched, parseFieldValidation, warningHeader } from './field-validation.js';
import { KubeStatusError, type KubeObject } from './kube-object.js';
import type { DeleteOptions, KubeStore, StoreEvent } from './kube-store.js';
import { parseFieldSelector, parseLabelSelector } from './label-selector.js';
import { isPrettyPrint, parseListOptions, queryFlag, type ListOptions } from './list-options.js';
import { OpenApiDocuments } from './openapi-documents.js';
import { serveOpenApi } from './openapi-handler.js';
import { replicaSetWithScale, scaleOf } from './replica-set-scale.js';
import { apiGroupList, apiResourceList, apiVersionOf, findResourceType, RESOURCE_TYPES, type ResourceType } from './resource-types.js';
import { toTable, wantsTable } from './table-output.js';

/** A request the stand-in could not serve (unknown path or verb): a strict test asserts there were none. */
export interface UnservedRequest {
  method: string;
  path: string;
  status: number;
}

export interface KubeApiServerOptions {
  host?: string;
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM), as a real API server does: client-node's in-cluster config speaks nothing else. */
  tls?: { key: string; cert: string };
  /** What /version reports; kubectl picks its own version to match. */
  serverVersion?: { major: string; minor: string };
}

const PATCH_TYPES: readonly string[] = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const MAX_BODY = 3 * 1024 * 1024;

/**
 * The stand-in Kubernetes API server: the REST protocol over node:http on
 * loopback (discovery, CRUD, patch, label and field selectors, watch streams,
 * Status errors, the scale subresource, the OpenAPI documents), over a
 * KubeStore. Strict: anything it does not serve is answered as
 * kube-apiserver answers an unknown path or method (404, 405) and recorded
 * in `unserved`; so are the few things a real server does that it does not
 * (dry run, server-side apply).
 *
 * @example
 * const api = new KubeApiServer(store);
 * const url = await api.listen();
 * api.faults.add({ verb: 'create', resource: 'replicasets', status: 500 });
 * await api.close();
 */
export class KubeApiServer {
  readonly faults = new FaultInjector();
  readonly unserved: UnservedRequest[] = [];
  /** Every resource request it routed, in order (what an RBAC authorizer would be asked about). */
  readonly requests: RequestTarget[] = [];
  private readonly server: Server;
  /** Open watch streams, each with the function that ends it and stops its subscription. */
  private readonly watches = new Map<ServerResponse, () => void>();
  private readonly store: KubeStore;
  private readonly options: KubeApiServerOptions;
  private readonly openapi: OpenApiDocuments;

  constructor(store: KubeStore, options: KubeApiServerOptions = {}) {
    this.store = store;
    this.options = options;
    this.openapi = new OpenApiDocuments(this.gitVersion());
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    };
    this.server = options.tls ? createTlsServer(options.tls, handler) : createServer(handler);
  }

  async listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, resolve);
    });
    return `${this.options.tls ? 'https' : 'http'}://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** Ends every open watch stream, as an API server does on restart or timeout; clients must re-establish them. */
  closeWatches(): number {
    const n = this.watches.size;
    for (const end of [...this.watches.values()]) end();
    return n;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const reply: Reply = { pretty: isPrettyPrint(q, req.headers['user-agent']), warnings: [] };
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return send(res, 200, 'ok', reply);
    if (path === '/openapi/v2' || path === '/openapi/v3' || path.startsWith('/openapi/v3/')) {
      if (!serveOpenApi(req, res, url, this.openapi)) this.unsupported(req, res, path, 404);
      return;
    }
    const discovery = this.discovery(path);
    if (discovery) {
      if (req.method !== 'GET') return this.unsupported(req, res, path, 405);
      return send(res, 200, discovery, reply);
    }
    const route = parseRoute(path);
    if (!route) return this.unsupported(req, res, path, 404);
    const { type, namespace, name, subresource } = route;
    if (subresource !== undefined && !(subresource === 'status' && type.hasStatus) && !(subresource === 'scale' && type.hasScale)) return this.unsupported(req, res, path, 404);
    const verb = verbOf(req.method ?? '', name, q);
    if (!verb || !type.verbs.includes(verb) || (subresource !== undefined && !['get', 'update', 'patch'].includes(verb))) return this.unsupported(req, res, path, 405);
    // Dry run would need every write to be computed without being stored; the stand-in refuses it rather than write for real.
    if (q.has('dryRun') && verb !== 'get' && verb !== 'list' && verb !== 'watch') return this.unsupported(req, res, path, 400, 'the stand-in does not serve dryRun');
    const patchType = verb === 'patch' ? (req.headers['content-type'] ?? '').split(';')[0]!.trim() : undefined;
    // Server-side apply needs managed fields, which the stand-in does not keep.
    if (patchType === 'application/apply-patch+yaml') return this.unsupported(req, res, path, 415, '415: Unsupported Media Type');
    if (patchType !== undefined && !PATCH_TYPES.includes(patchType)) throw new KubeStatusError(415, 'UnsupportedMediaType', '415: Unsupported Media Type');
    const list = verb === 'list' || verb === 'watch' || verb === 'deletecollection' ? parseListOptions(q) : undefined;
    const target: RequestTarget = { verb, group: type.group, resource: type.plural, namespace, name, subresource };
    this.requests.push(target);
    const fault = this.faults.take(target);
    if (fault) throw fault;
    const body = ['create', 'update', 'patch'].includes(verb) ? await readJson(req) : verb === 'delete' ? await readJson(req, true) : undefined;
    const table = wantsTable(req.headers.accept);
    const schema = subresource === 'scale' ? definitionOf('autoscaling', 'Scale') : definitionOf(type.group, type.kind);
    switch (verb) {
      case 'watch':
        return this.watch(res, type, namespace, list!, table);
      case 'list': {
        const found = this.store.list(type.plural, namespace, { labelSelector: list!.labelSelector, fieldSelector: list!.fieldSelector });
        // Like kube-apiserver, the items of a JSON list carry no kind or apiVersion: the list's kind says what they are.
        const listBody = { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: found.resourceVersion }, items: found.items.map(withoutTypeMeta) };
        return send(res, 200, table ? toTable(type, found.items, found.resourceVersion) : listBody, reply);
      }
      case 'get': {
        const obj = this.store.get(type.plural, namespace, name!);
        if (subresource === 'scale') return send(res, 200, scaleOf(obj), reply);
        return send(res, 200, table ? toTable(type, [obj], obj.metadata.resourceVersion) : obj, reply);
      }
      case 'create': {
        const decoded = decodeBody(body, schema.name, type.kind, parseFieldValidation(q, 'CreateOptions'), reply.warnings);
        return send(res, 201, this.store.create(type.plural, namespace, decoded), reply);
      }
      case 'update': {
        const decoded = decodeBody(body, schema.name, subresource === 'scale' ? 'Scale' : type.kind, parseFieldValidation(q, 'UpdateOptions'), reply.warnings);
        if (subresource === 'scale') return send(res, 200, this.writeScale(namespace, name!, decoded), reply);
        return send(res, 200, this.store.replace(type.plural, namespace, name!, decoded, subresource as 'status' | undefined), reply);
      }
      case 'patch': {
        const current = this.store.get(type.plural, namespace, name!);
        const before = subresource === 'scale' ? scaleOf(current) : current;
        const patched = applyPatch(before, body, patchType as PatchType, schema.name);
        const decoded = decodePatched(patched, body, patchType as PatchType, schema.name, parseFieldValidation(q, 'PatchOptions'), reply.warnings);
        if (subresource === 'scale') return send(res, 200, this.writeScale(namespace, name!, decoded), reply);
        return send(res, 200, this.store.replace(type.plural, namespace, name!, decoded, subresource as 'status' | undefined), reply);
      }
      case 'delete': {
        const options = deleteOptions(body, q);
        const { object, pending } = this.store.delete(type.plural, namespace, name!, options);
        return send(res, 200, pending ? object : success(type, object), reply);
      }
      case 'deletecollection': {
        const { items } = this.store.list(type.plural, namespace, { labelSelector: list!.labelSelector, fieldSelector: list!.fieldSelector });
        for (const o of items) this.store.delete(type.plural, namespace, o.metadata.name, deleteOptions(undefined, q));
        return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' }, reply);
      }
    }
  }

  /** A written Scale sets the ReplicaSet's desired count; the answer is the Scale of what was stored. */
  private writeScale(namespace: string | undefined, name: string, scale: unknown): KubeObject {
    const rs = this.store.get('replicasets', namespace, name);
    return scaleOf(this.store.replace('replicasets', namespace, name, replicaSetWithScale(rs, scale, name)));
  }

  private gitVersion(): string {
    return `v${this.options.serverVersion?.major ?? '1'}.${this.options.serverVersion?.minor ?? '31'}.0`;
  }

  private discovery(path: string): unknown {
    if (path === '/version') {
      const { major = '1', minor = '31' } = this.options.serverVersion ?? {};
      return { major, minor, gitVersion: this.gitVersion(), gitCommit: 'stand-in', gitTreeState: 'clean', buildDate: '2024-08-13T00:00:00Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64' };
    }
    if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
    if (path === '/apis') return apiGroupList();
    if (path === '/api/v1') return apiResourceList('', 'v1');
    const group = /^\/apis\/([^/]+)(?:\/(v1))?$/.exec(path);
    if (group && RESOURCE_TYPES.some((t) => t.group === group[1])) {
      if (group[2]) return apiResourceList(group[1]!, 'v1');
      const gv = { groupVersion: `${group[1]}/v1`, version: 'v1' };
      return { kind: 'APIGroup', apiVersion: 'v1', name: group[1], versions: [gv], preferredVersion: gv };
    }
    return undefined;
  }

  private watch(res: ServerResponse, type: ResourceType, namespace: string | undefined, options: ListOptions, table: boolean): void {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const matches = (o: KubeObject | undefined) => o !== undefined && (namespace === undefined || o.metadata.namespace === namespace) && labels(o.metadata.labels) && fields(o);
    const rv = options.resourceVersion;
    // Strict like kube-apiserver: a version that is not one, or that the store has not reached, is refused rather than read as "now".
    if (rv && !/^\d+$/.test(rv)) throw new KubeStatusError(400, 'BadRequest', `resourceVersion: Invalid value: ${JSON.stringify(rv)}: must be an unsigned integer`);
    if (rv && Number(rv) > this.store.resourceVersion) {
      throw new KubeStatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${this.store.resourceVersion}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }],
      });
    }
    // Replay (or the initial ADDED list) and the live subscription start in the same turn: no event falls between.
    const backlog = rv && rv !== '0' ? this.store.eventsAfter(Number(rv)) : undefined;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const write = (type_: string, object: unknown) => !res.writableEnded && res.write(JSON.stringify({ type: type_, object }) + '\n');
    const emit = (e: StoreEvent) => {
      if (e.resource !== type) return;
      const now = matches(e.object);
      const before = matches(e.previous);
      // A change that moves an object into or out of a filtered watch is seen as ADDED or DELETED, as the watch cache does.
      let kind: string | undefined;
      if (e.type === 'ADDED') kind = now ? 'ADDED' : undefined;
      else if (e.type === 'DELETED') kind = now || before ? 'DELETED' : undefined;
      else kind = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
      if (kind) write(kind, table ? toTable(type, [e.object], String(e.resourceVersion)) : e.object);
    };
    if (backlog === 'expired') {
      write('ERROR', new KubeStatusError(410, 'Expired', `too old resource version: ${rv} (${this.store.resourceVersion})`).toStatus());
      res.end();
      return;
    }
    if (backlog) backlog.forEach(emit);
    else for (const o of this.store.list(type.plural, namespace).items.filter(matches)) write('ADDED', table ? toTable(type, [o], o.metadata.resourceVersion) : o);
    const off = this.store.subscribe(emit);
    const timeout = options.timeoutSeconds ?? 0;
    const deadline = timeout > 0 ? Date.now() + timeout * 1000 : undefined;
    let bookmark: NodeJS.Timeout | undefined;
    // The watch cache's rhythm: a bookmark a minute, and one 2 s before the deadline so the client can resume from there.
    const nextBookmark = () => {
      const now = Date.now();
      const at = Math.min(now + 60_000, deadline === undefined ? Infinity : deadline - 2000);
      if (at <= now) return;
      bookmark = setTimeout(() => {
        write('BOOKMARK', { kind: type.kind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(this.store.resourceVersion) } });
        nextBookmark();
      }, at - now);
    };
    if (options.allowWatchBookmarks) nextBookmark();
    const end = () => {
      off();
      clearTimeout(timer);
      clearTimeout(bookmark);
      this.watches.delete(res);
      res.end();
    };
    const timer = setTimeout(end, timeout > 0 ? timeout * 1000 : 2 ** 31 - 1);
    this.watches.set(res, end);
    res.on('close', end);
  }

  /**
   * Records a request the stand-in cannot serve and answers it as kube-apiserver
   * answers a path or method it has no route for: a JSON Status inside the
   * group-versions it serves, and Go's plain-text 404 anywhere else.
   */
  private unsupported(req: IncomingMessage, res: ServerResponse, path: string, status: 400 | 404 | 405 | 415, message?: string): void {
    this.unserved.push({ method: req.method ?? '', path, status });
    req.resume();
    if (status === 404 && !underServedRoot(path)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('404 page not found\n');
      return;
    }
    const reason = ({ 400: 'BadRequest', 404: 'NotFound', 405: 'MethodNotAllowed', 415: 'UnsupportedMediaType' } as const)[status];
    const text = message ?? (status === 404 ? 'the server could not find the requested resource' : 'the server does not allow this method on the requested resource');
    send(res, status, new KubeStatusError(status, reason, text).toStatus(), { pretty: false, warnings: [] });
  }

  private fail(res: ServerResponse, err: unknown): void {
    const status = err instanceof KubeStatusError ? err : new KubeStatusError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    if (res.headersSent) res.end();
    else send(res, status.code, status.toStatus(), { pretty: false, warnings: [] });
  }
}

/** How one answer is written: indented or not (`?pretty`), and the warnings the request earned. */
interface Reply {
  pretty: boolean;
  warnings: string[];
}

/** JSON as kube-apiserver's serializer writes it: a trailing newline, or two-space indentation without one when pretty. */
function send(res: ServerResponse, status: number, body: unknown, reply: Reply): void {
  const text = typeof body === 'string' ? body : reply.pretty ? JSON.stringify(body, null, 2) : `${JSON.stringify(body)}\n`;
  if (reply.warnings.length > 0) res.setHeader('Warning', reply.warnings.map(warningHeader));
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function withoutTypeMeta(o: KubeObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'kind' && k !== 'apiVersion'));
}

/** Paths under a go-restful web service of kube-apiserver: /version, /api..., and each served group. */
function underServedRoot(path: string): boolean {
  const roots = ['/version', '/api', ...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => `/apis/${t.group}`))];
  return roots.some((root) => path === root || path.startsWith(`${root}/`));
}

function success(type: ResourceType, o: KubeObject): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: o.metadata.name, group: type.group, kind: type.plural, uid: o.metadata.uid } };
}

interface Route {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** `/api/v1/...` or `/apis/<group>/v1/...`, then `namespaces/<ns>/<plural>[/<name>[/<sub>]]` or `<plural>[/<name>[/<sub>]]`. */
function parseRoute(path: string): Route | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/(v1))\/(.+)$/.exec(path);
  if (!m) return undefined;
  const group = m[2] ?? '';
  const version = (m[1] ?? m[3])!;
  const parts = m[4]!.split('/').map(decodeURIComponent);
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const [plural, name, subresource, ...rest] = parts;
  const type = findResourceType(group, version, plural!);
  if (!type || rest.length > 0 || (namespace !== undefined && !type.namespaced) || (type.namespaced && namespace === undefined && name !== undefined)) return undefined;
  return { type, namespace, name, subresource };
}

function verbOf(method: string, name: string | undefined, q: URLSearchParams): KubeVerb | undefined {
  const watch = queryFlag(q, 'watch') ?? false;
  // A watch of one object by its path is not served: kube-apiserver answers it as a plain get, which would end at once and look like a watch.
  if (method === 'GET') return name ? (watch ? undefined : 'get') : watch ? 'watch' : 'list';
  if (method === 'POST') return name ? undefined : 'create';
  if (method === 'PUT') return name ? 'update' : undefined;
  if (method === 'PATCH') return name ? 'patch' : undefined;
  if (method === 'DELETE') return name ? 'delete' : 'deletecollection';
  return undefined;
}

function deleteOptions(body: unknown, q: URLSearchParams): DeleteOptions {
  const b = (body ?? {}) as DeleteOptions;
  const policy = q.get('propagationPolicy') ?? b.propagationPolicy;
  const grace = q.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    throw new KubeStatusError(400, 'BadRequest', `propagationPolicy ${JSON.stringify(policy)} is not one of Foreground, Background, Orphan`);
  }
  return {
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(grace !== undefined && grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
    ...(b.preconditions ? { preconditions: b.preconditions } : {}),
  };
}

async function readJson(req: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new KubeStatusError(400, 'BadRequest', 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') {
    if (optional) return undefined;
    throw new KubeStatusError(400, 'BadRequest', 'the request has no body');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KubeStatusError(400, 'BadRequest', 'the body of the request is not valid JSON');
  }
}

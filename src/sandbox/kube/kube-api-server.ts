import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PatchType } from './apply-patch.js';
import { FaultInjector, type KubeVerb, type RequestTarget } from './fault-injector.js';
import { KubeStatusError, type KubeObject } from './kube-object.js';
import type { DeleteOptions, KubeStore, StoreEvent } from './kube-store.js';
import { parseFieldSelector, parseLabelSelector } from './label-selector.js';
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
  /** What /version reports; kubectl picks its own version to match. */
  serverVersion?: { major: string; minor: string };
}

const PATCH_TYPES: readonly string[] = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const MAX_BODY = 3 * 1024 * 1024;

/**
 * The stand-in Kubernetes API server: the REST protocol over node:http on
 * loopback (discovery, CRUD, patch, label and field selectors, watch streams,
 * Status errors), over a KubeStore. Strict: anything it does not know is
 * answered with a Status 404/405 and recorded in `unserved`.
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
  private readonly server: Server;
  /** Open watch streams, each with the function that ends it and stops its subscription. */
  private readonly watches = new Map<ServerResponse, () => void>();
  private readonly store: KubeStore;
  private readonly options: KubeApiServerOptions;

  constructor(store: KubeStore, options: KubeApiServerOptions = {}) {
    this.store = store;
    this.options = options;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
  }

  async listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, resolve);
    });
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
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
    const discovery = this.discovery(path);
    if (discovery) {
      if (req.method !== 'GET') return this.unsupported(req, res, path, 405);
      return send(res, 200, discovery);
    }
    const route = parseRoute(path);
    if (!route) return this.unsupported(req, res, path, 404);
    const { type, namespace, name, subresource } = route;
    const q = url.searchParams;
    const verb = verbOf(req.method ?? '', name, q);
    if (!verb || (subresource !== undefined && (subresource !== 'status' || !type.hasStatus || !['get', 'update', 'patch'].includes(verb)))) {
      return this.unsupported(req, res, path, verb ? 404 : 405);
    }
    const target: RequestTarget = { verb, resource: type.plural, namespace, name, subresource };
    const fault = this.faults.take(target);
    if (fault) throw fault;
    const body = ['create', 'update', 'patch'].includes(verb) ? await readJson(req) : verb === 'delete' ? await readJson(req, true) : undefined;
    const table = wantsTable(req.headers.accept);
    switch (verb) {
      case 'watch':
        return this.watch(res, type, namespace, q, table);
      case 'list': {
        const list = this.store.list(type.plural, namespace, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined });
        const listBody = { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: list.resourceVersion }, items: list.items };
        return send(res, 200, table ? toTable(type, list.items, list.resourceVersion) : listBody);
      }
      case 'get': {
        const obj = this.store.get(type.plural, namespace, name!);
        return send(res, 200, table ? toTable(type, [obj], obj.metadata.resourceVersion) : obj);
      }
      case 'create':
        return send(res, 201, this.store.create(type.plural, namespace, body));
      case 'update':
        return send(res, 200, this.store.replace(type.plural, namespace, name!, body, subresource as 'status' | undefined));
      case 'patch': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (!PATCH_TYPES.includes(contentType)) {
          throw new KubeStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
        }
        return send(res, 200, this.store.patch(type.plural, namespace, name!, body, contentType as PatchType, subresource as 'status' | undefined));
      }
      case 'delete': {
        const options = deleteOptions(body, q);
        const { object, pending } = this.store.delete(type.plural, namespace, name!, options);
        return send(res, 200, pending ? object : success(type, object));
      }
      case 'deletecollection': {
        const { items } = this.store.list(type.plural, namespace, { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined });
        for (const o of items) this.store.delete(type.plural, namespace, o.metadata.name, deleteOptions(undefined, q));
        return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      }
    }
  }

  private discovery(path: string): unknown {
    const minor = this.options.serverVersion?.minor ?? '31';
    const major = this.options.serverVersion?.major ?? '1';
    if (path === '/version') {
      return { major, minor, gitVersion: `v${major}.${minor}.0`, gitCommit: 'stand-in', gitTreeState: 'clean', buildDate: '2024-08-13T00:00:00Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64' };
    }
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return 'ok';
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

  private watch(res: ServerResponse, type: ResourceType, namespace: string | undefined, q: URLSearchParams, table: boolean): void {
    const labels = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(q.get('fieldSelector') ?? undefined);
    const matches = (o: KubeObject | undefined) => o !== undefined && (namespace === undefined || o.metadata.namespace === namespace) && labels(o.metadata.labels) && fields(o);
    const rv = q.get('resourceVersion');
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
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const end = () => {
      off();
      clearTimeout(timer);
      this.watches.delete(res);
      res.end();
    };
    const timer = setTimeout(end, timeout > 0 ? timeout * 1000 : 2 ** 31 - 1);
    this.watches.set(res, end);
    res.on('close', end);
  }

  private unsupported(req: IncomingMessage, res: ServerResponse, path: string, status: 404 | 405): void {
    this.unserved.push({ method: req.method ?? '', path, status });
    const err =
      status === 404
        ? new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource')
        : new KubeStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    req.resume();
    send(res, status, err.toStatus());
  }

  private fail(res: ServerResponse, err: unknown): void {
    const status = err instanceof KubeStatusError ? err : new KubeStatusError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    if (res.headersSent) res.end();
    else send(res, status.code, status.toStatus());
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
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
  const watch = q.get('watch') === 'true' || q.get('watch') === '1';
  // A watch of one object by its path is not served: answered as a plain get it would end at once and look like a watch.
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

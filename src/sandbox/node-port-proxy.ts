import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeStore } from './kube/kube-store.js';
import { readyPodVersions } from './kube/ready-pod-versions.js';

export interface NodePortProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * How the stand-in pods of one version answer, for tests of a bad release:
 * `errorShare` of its requests (evenly spread, deterministic) get a 500,
 * and every request waits `delayMs` first.
 */
export interface VersionBehaviour {
  errorShare?: number;
  delayMs?: number;
}

/** Upper bounds of the latency histogram the pods expose, in seconds (Prometheus' client defaults). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What one node's NodePort of one colour answered: by status, and the latency histogram. */
interface Counters {
  byCode: Map<number, number>;
  buckets: number[];
  sum: number;
  count: number;
}

/** Prometheus' text format of one NodePort's counters (what a pod's /metrics would show). */
function exposition(c: Counters | undefined): string {
  const lines = ['# TYPE sandbox_http_requests_total counter'];
  for (const [code, n] of c?.byCode ?? []) lines.push(`sandbox_http_requests_total{code="${code}"} ${n}`);
  lines.push('# TYPE sandbox_http_request_duration_seconds histogram');
  BUCKETS.forEach((le, i) => lines.push(`sandbox_http_request_duration_seconds_bucket{le="${le}"} ${c?.buckets[i] ?? 0}`));
  lines.push(`sandbox_http_request_duration_seconds_bucket{le="+Inf"} ${c?.count ?? 0}`);
  lines.push(`sandbox_http_request_duration_seconds_sum ${c?.sum ?? 0}`, `sandbox_http_request_duration_seconds_count ${c?.count ?? 0}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Stands in for kube-proxy behind every node's NodePorts: `/<app>/<colour>/...`
 * answers with the version that colour's Ready pods run in the stand-in
 * cluster right now, and 503 while the colour has none, so a request through
 * a node's nginx shows which version really serves. A version may be told
 * to answer badly (`behaviour`). `/<app>/<colour>/metrics` is what the pods
 * would expose to Prometheus: the requests that node's NodePort of that
 * colour passed on (the responders name the node), by status, with their
 * latency.
 *
 * @example
 * const proxy = await startNodePortProxy(kube.store, [{ name: 'blog', namespace: 'blog' }], fleet.gateway, { '2.0.0': { errorShare: 0.3 } });
 */
export async function startNodePortProxy(
  store: KubeStore,
  apps: Array<{ name: string; namespace: string }>,
  host: string,
  behaviour: Record<string, VersionBehaviour> = {},
): Promise<NodePortProxy> {
  const namespaces = new Map(apps.map((a) => [a.name, a.namespace]));
  const counters = new Map<string, Counters>();
  const served = new Map<string, number>();
  let turn = 0;
  const count = (key: string, code: number, seconds: number): void => {
    let c = counters.get(key);
    if (!c) counters.set(key, (c = { byCode: new Map(), buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    c.byCode.set(code, (c.byCode.get(code) ?? 0) + 1);
    BUCKETS.forEach((le, i) => (c.buckets[i]! += seconds <= le ? 1 : 0));
    c.sum += seconds;
    c.count++;
  };
  const server: Server = createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const [, app, colour, rest] = (req.url ?? '').split('/');
    const namespace = namespaces.get(app ?? '');
    if (!namespace || (colour !== 'blue' && colour !== 'green')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such NodePort\n');
      return;
    }
    const key = `${app}/${colour}/${req.headers['x-node'] ?? ''}`;
    if (rest === 'metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(counters.get(key)));
      return;
    }
    const versions = readyPodVersions(store, namespace, app!, colour);
    if (versions.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`no Ready pods of ${app}-${colour}\n`);
      return;
    }
    // Several versions Ready at once (a rolling change): spread requests like kube-proxy would.
    const version = versions[turn++ % versions.length]!;
    const how = behaviour[version] ?? {};
    if (how.delayMs) await sleep(how.delayMs);
    const n = (served.get(version) ?? 0) + 1;
    served.set(version, n);
    // The nth request fails when the running count of failures steps up: exactly errorShare of them, spread evenly.
    const share = how.errorShare ?? 0;
    const fails = Math.floor(n * share) > Math.floor((n - 1) * share);
    const code = fails ? 500 : 200;
    res.writeHead(code, { 'content-type': 'text/plain', 'x-colour': colour, 'x-version': version }).end(fails ? `${app} ${version} failed\n` : `${app} ${version}\n`);
    count(key, code, Number(process.hrtime.bigint() - started) / 1e9);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

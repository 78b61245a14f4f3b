import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeStore } from './kube/kube-store.js';
import { readyPodVersions } from './kube/ready-pod-versions.js';

export interface NodePortProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Stands in for kube-proxy behind every node's NodePorts: `/<app>/<colour>/...`
 * answers with the version that colour's Ready pods run in the stand-in
 * cluster right now, and 503 while the colour has none, so a request through
 * a node's nginx shows which version really serves.
 *
 * @example
 * const proxy = await startNodePortProxy(kube.store, [{ name: 'blog', namespace: 'blog' }], fleet.gateway);
 */
export async function startNodePortProxy(store: KubeStore, apps: Array<{ name: string; namespace: string }>, host: string): Promise<NodePortProxy> {
  const namespaces = new Map(apps.map((a) => [a.name, a.namespace]));
  let turn = 0;
  const server: Server = createServer((req, res) => {
    const [, app, colour] = (req.url ?? '').split('/');
    const namespace = namespaces.get(app ?? '');
    if (!namespace || (colour !== 'blue' && colour !== 'green')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such NodePort\n');
      return;
    }
    const versions = readyPodVersions(store, namespace, app!, colour);
    if (versions.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`no Ready pods of ${app}-${colour}\n`);
      return;
    }
    // Several versions Ready at once (a rolling change): spread requests like kube-proxy would.
    const version = versions[turn++ % versions.length]!;
    res.writeHead(200, { 'content-type': 'text/plain', 'x-colour': colour, 'x-version': version }).end(`${app} ${version}\n`);
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

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { listWatch } from '../../src/cluster/list-watch.js';
import { renderKubeconfig } from '../../src/sandbox/kube/kubeconfig.js';

/**
 * An API server whose watches misbehave the way a dead connection does: it
 * answers a watch with headers and then nothing, or never answers at all;
 * or the way a proxy that cannot stream does: it ends every watch at once.
 * Everything else it refuses, so an unexpected request fails the test.
 */
async function misbehavingServer(mode: 'silent-stream' | 'no-answer' | 'ends-at-once') {
  const watches: { url: URL; res: ServerResponse; closed: boolean }[] = [];
  const unexpected: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' || url.searchParams.get('watch') !== 'true') {
      unexpected.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
      return;
    }
    const entry = { url, res, closed: false };
    watches.push(entry);
    res.on('close', () => (entry.closed = true));
    if (mode === 'silent-stream') res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders();
    if (mode === 'ends-at-once') res.writeHead(200, { 'Content-Type': 'application/json' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = new KubeConfig();
  config.loadFromString(renderKubeconfig({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { watch: new Watch(config), watches, unexpected, close };
}

const until = async (what: () => boolean) => {
  while (!what()) await new Promise((r) => setTimeout(r, 10));
};

describe('listWatch on a connection that dies silently', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  const run = (watch: Watch, stop: AbortController, errors: unknown[], sleep?: (ms: number) => Promise<void>) =>
    listWatch<{ metadata?: { resourceVersion?: string } }>(watch, {
      list: async () => ({ items: [], metadata: { resourceVersion: '7' } }),
      path: '/api/v1/namespaces/blog/pods',
      query: { labelSelector: 'name=blog-green' },
      onSync: () => undefined,
      onEvent: () => undefined,
      onError: (err) => errors.push(err),
      signal: stop.signal,
      watchTimeoutSeconds: 1,
      ...(sleep ? { sleep } : {}),
    });

  it('asks the server to end each watch, and drops one still open well past that as dead, then lists and watches again', async () => {
    const server = await misbehavingServer('silent-stream');
    close = server.close;
    const stop = new AbortController();
    const errors: unknown[] = [];
    const watching = run(server.watch, stop, errors);
    await until(() => server.watches.length >= 2);
    stop.abort();
    await watching;
    expect(server.watches[0]!.url.searchParams.get('timeoutSeconds')).toBe('1');
    expect(server.watches[0]!.url.searchParams.get('resourceVersion')).toBe('7');
    expect(server.watches[0]!.closed).toBe(true);
    expect(String(errors[0])).toMatch(/watch of \/api\/v1\/namespaces\/blog\/pods still open 1.5 s after the server should have ended it/);
    await until(() => server.watches.every((w) => w.closed));
    expect(server.unexpected).toEqual([]);
  });

  it('returns when cancelled even while the server has not answered the watch', async () => {
    const server = await misbehavingServer('no-answer');
    close = server.close;
    const stop = new AbortController();
    const errors: unknown[] = [];
    const watching = run(server.watch, stop, errors);
    await until(() => server.watches.length === 1);
    stop.abort();
    await expect(watching).resolves.toBeUndefined();
    expect(errors).toEqual([]);
    expect(server.unexpected).toEqual([]);
  });

  it('backs off before re-opening streams that end at once without an event, rather than hammering the server', async () => {
    const server = await misbehavingServer('ends-at-once');
    close = server.close;
    const stop = new AbortController();
    const errors: unknown[] = [];
    const pauses: number[] = [];
    const watching = run(server.watch, stop, errors, async (ms) => {
      pauses.push(ms);
      if (pauses.length === 5) stop.abort();
    });
    await watching;
    expect(pauses).toEqual([50, 100, 200, 400, 800]);
    expect(server.watches).toHaveLength(5);
    expect(errors).toEqual([]);
    expect(server.unexpected).toEqual([]);
  });
});

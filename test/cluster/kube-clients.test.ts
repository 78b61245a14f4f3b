import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAppState } from '../../src/cluster/app-state-store.js';
import { connectKube } from '../../src/cluster/kube-clients.js';
import { readColours } from '../../src/cluster/read-colours.js';
import { waitForColourReady } from '../../src/cluster/wait-for-colour-ready.js';
import { writeKubeconfig } from '../../src/sandbox/kube/kubeconfig.js';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { KUBECTL, kubectlMissing } from '../sandbox-kube/kubectl-harness.js';

describe('connectKube: API calls have a deadline', () => {
  // Accepts every request and never answers, as a hung API server (or a proxy in front of one) does.
  const received: string[] = [];
  const server = createServer((req: IncomingMessage) => void received.push(`${req.method} ${req.url}`));
  let dir: string;
  let kubeconfigPath: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'switchyard-kube-clients-'));
    kubeconfigPath = await writeKubeconfig(join(dir, 'kubeconfig'), { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('fails a call the server never answers, naming what it was reading', async () => {
    const kube = connectKube({ kubeconfigPath, requestTimeoutMs: 200 });
    await expect(readColours(kube, 'blog', 'web')).rejects.toMatchObject({
      code: 'kube-api-failed',
      message: expect.stringMatching(/^cannot read ReplicaSet web\/blog-(blue|green): the Kubernetes API did not answer in time$/),
      hint: expect.stringContaining('check its health'),
    });
    expect(received.sort()).toEqual(['GET /apis/apps/v1/namespaces/web/replicasets/blog-blue', 'GET /apis/apps/v1/namespaces/web/replicasets/blog-green']);
  });
});

describe('connectKube: a kubeconfig that cannot be loaded says which and why', () => {
  it.each([
    ['a missing file', 'missing', undefined, /^cannot load \S+missing: ENOENT: no such file or directory/],
    ['a file that is not YAML', 'broken', 'clusters: [\n', /^cannot load \S+broken: /],
  ])('%s', async (_what, name, text, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-kubeconfig-'));
    try {
      const kubeconfigPath = join(dir, name);
      if (text !== undefined) await writeFile(kubeconfigPath, text);
      const err = (() => {
        try {
          connectKube({ kubeconfigPath });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toMatchObject({ code: 'config-invalid', message: expect.stringMatching(message), cause: expect.any(Error) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

it('a state ConfigMap that holds something else names what is wrong with it', () => {
  const cm = { metadata: { name: 'switchyard-blog' }, data: { 'state.json': '{"app": "blog", ' } };
  expect(() => parseAppState(cm, 'blog', 'web')).toThrow(/^state ConfigMap web\/switchyard-blog does not hold a state record for blog: .*JSON/);
});

/** A kubeconfig as people write one for `kubectl proxy`: a plain `http://` server, nothing about TLS. */
const plainHttpKubeconfig = (server: string): string =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'proxy', cluster: { server } }],
    users: [{ name: 'proxy', user: {} }],
    contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
    'current-context': 'proxy',
  });

describe('connectKube: a plain-HTTP API server, as kubectl talks to one', () => {
  let kube: KubeStandIn;
  let dir: string;
  beforeAll(async () => {
    kube = await startKubeStandIn({ readyDelayMs: 10 });
    dir = await mkdtemp(join(tmpdir(), 'switchyard-plain-http-'));
    kube.store.create('namespaces', undefined, { metadata: { name: 'web' } });
    kube.store.create('replicasets', 'web', {
      metadata: { name: 'blog-blue', labels: { app: 'blog', colour: 'blue' } },
      spec: { replicas: 1, selector: { matchLabels: { name: 'blog-blue' } }, template: { metadata: { labels: { name: 'blog-blue' } }, spec: { containers: [{ name: 'web', image: 'blog:1.0' }] } } },
    });
  });
  afterAll(async () => {
    await kube?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Reads blog's colours and waits for blue's pods through a watch: both ways client-node builds its requests. */
  async function readsAndWatches(server: string): Promise<void> {
    const kubeconfigPath = join(dir, `kubeconfig-${new URL(server).port}`);
    await writeFile(kubeconfigPath, plainHttpKubeconfig(server));
    const clients = connectKube({ kubeconfigPath });
    const colours = await readColours(clients, 'blog', 'web');
    expect(colours.blue).toMatchObject({ name: 'blog-blue', version: '1.0' });
    expect(colours.green).toBeNull();
    await expect(waitForColourReady(clients, { app: 'blog', namespace: 'web', colour: 'blue' }, { timeoutMs: 20_000 })).resolves.toMatchObject({ ready: 1 });
  }

  it('reads and watches without insecure-skip-tls-verify (client-node alone refuses http://)', async () => {
    await readsAndWatches(kube.url);
    expect(kube.unserved).toEqual([]);
  });

  it.skipIf(kubectlMissing)('reads and watches through a real `kubectl proxy`, with the kubeconfig kubectl itself reads', async () => {
    const proxy = spawn(KUBECTL, ['--kubeconfig', await kube.writeKubeconfig(join(dir, 'stand-in')), 'proxy', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      proxy.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const port = await new Promise<string>((resolve, reject) => {
        proxy.stdout.on('data', () => {
          const m = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        proxy.on('exit', (code) => reject(new Error(`kubectl proxy exited (${code}): ${out}`)));
      });
      const server = `http://127.0.0.1:${port}`;
      await readsAndWatches(server);
      const kubeconfigPath = join(dir, `kubeconfig-${port}`);
      const { stdout } = await promisify(execFile)(KUBECTL, ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'cache'), 'get', 'rs', '-n', 'web', '-o', 'name']);
      expect(stdout.trim()).toBe('replicaset.apps/blog-blue');
    } finally {
      const exited = proxy.exitCode === null ? once(proxy, 'exit') : Promise.resolve();
      proxy.kill('SIGTERM');
      await exited;
    }
  });
});

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);
const missing = !existsSync(KUBECTL);
if (missing && process.env.CI === 'true') throw new Error(`${KUBECTL} is missing: the kubectl checks of the stand-in cannot run`);

/** The real kubectl against the stand-in: it cannot tell it from a real API server. */
describe.skipIf(missing)('kubectl against the stand-in', () => {
  let kube: KubeStandIn;
  let dir: string;
  let kubeconfig: string;
  const kubectl = async (...args: string[]) => (await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;

  beforeAll(async () => {
    kube = await startKubeStandIn({ readyDelayMs: 10 });
    dir = await mkdtemp(join(tmpdir(), 'switchyard-kubectl-'));
    kubeconfig = await kube.writeKubeconfig(join(dir, 'kubeconfig'));
    kube.store.create('namespaces', undefined, { metadata: { name: 'blog' } });
    kube.store.create('replicasets', 'blog', {
      metadata: { name: 'blog-blue', labels: { app: 'blog' } },
      spec: { replicas: 2, selector: { matchLabels: { name: 'blog-blue' } }, template: { metadata: { labels: { name: 'blog-blue', app: 'blog' } }, spec: { containers: [{ name: 'web', image: 'blog:1.0' }] } } },
    });
    kube.store.create('configmaps', 'blog', { metadata: { name: 'switchyard-blog' }, data: { 'state.json': '{"app":"blog"}' } });
  });
  afterAll(async () => {
    await kube?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gets ReplicaSets and pods as tables', async () => {
    const until = Date.now() + 10_000;
    let out = '';
    while (Date.now() < until && !/2\s+2\s+2/.test(out)) out = await kubectl('get', 'rs,pods', '-n', 'blog');
    expect(out).toMatch(/NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE/);
    expect(out).toMatch(/replicaset\.apps\/blog-blue\s+2\s+2\s+2/);
    expect(out.match(/pod\/blog-blue-[a-z0-9]{5}\s+1\/1\s+Running/g)).toHaveLength(2);
  });

  it('prints a ConfigMap as YAML', async () => {
    const out = await kubectl('get', 'configmap', 'switchyard-blog', '-n', 'blog', '-o', 'yaml');
    expect(out).toContain('kind: ConfigMap');
    expect(out).toContain(`state.json: '{"app":"blog"}'`);
    expect(out).toMatch(/resourceVersion: "\d+"/);
  });

  it('watches pods and sees a new one appear', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'pods', '-n', 'blog', '-w', '--request-timeout=30s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const seen = async (re: RegExp) => {
        const until = Date.now() + 15_000;
        while (!re.test(out)) {
          if (Date.now() > until) throw new Error(`kubectl -w never printed ${re}: ${out}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await seen(/blog-blue-[a-z0-9]{5}/);
      await new Promise((r) => setTimeout(r, 200));
      kube.store.patch('replicasets', 'blog', 'blog-blue', { spec: { replicas: 3 } }, 'application/merge-patch+json');
      const before = new Set(out.match(/blog-blue-[a-z0-9]{5}/g));
      await seen(new RegExp(`blog-blue-(?!${[...before].map((n) => n.slice(-5)).join('|')})[a-z0-9]{5}`));
    } finally {
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('deletes a ReplicaSet, and its pods go with it', async () => {
    expect(await kubectl('delete', 'rs', 'blog-blue', '-n', 'blog')).toContain('replicaset.apps "blog-blue" deleted');
    const until = Date.now() + 10_000;
    while (Date.now() < until && kube.store.list('pods', 'blog').items.length > 0) await new Promise((r) => setTimeout(r, 20));
    expect(kube.store.list('pods', 'blog').items).toEqual([]);
    expect(await kubectl('get', 'rs', '-n', 'blog')).toBe('');
  });

  it('needed nothing the stand-in does not serve', () => {
    expect(kube.unserved).toEqual([]);
  });
});

import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlMissing, startKubectlHarness, type KubectlHarness } from './kubectl-harness.js';

/** The real kubectl against the stand-in: it cannot tell it from a real API server. */
describe.skipIf(kubectlMissing)('kubectl against the stand-in', () => {
  let h: KubectlHarness;

  beforeAll(async () => {
    h = await startKubectlHarness();
    h.kube.store.create('namespaces', undefined, { metadata: { name: 'blog' } });
    h.kube.store.create('replicasets', 'blog', {
      metadata: { name: 'blog-blue', labels: { app: 'blog' } },
      spec: { replicas: 2, selector: { matchLabels: { name: 'blog-blue' } }, template: { metadata: { labels: { name: 'blog-blue', app: 'blog' } }, spec: { containers: [{ name: 'web', image: 'blog:1.0' }] } } },
    });
    h.kube.store.create('configmaps', 'blog', { metadata: { name: 'switchyard-blog' }, data: { 'state.json': '{"app":"blog"}' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('gets ReplicaSets and pods as tables', async () => {
    const until = Date.now() + 10_000;
    let out = '';
    while (Date.now() < until && !/2\s+2\s+2/.test(out)) out = await h.kubectl('get', 'rs,pods', '-n', 'blog');
    expect(out).toMatch(/NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE/);
    expect(out).toMatch(/replicaset\.apps\/blog-blue\s+2\s+2\s+2/);
    expect(out.match(/pod\/blog-blue-[a-z0-9]{5}\s+1\/1\s+Running/g)).toHaveLength(2);
  });

  it('prints a ConfigMap as YAML', async () => {
    const out = await h.kubectl('get', 'configmap', 'switchyard-blog', '-n', 'blog', '-o', 'yaml');
    expect(out).toContain('kind: ConfigMap');
    expect(out).toContain(`state.json: '{"app":"blog"}'`);
    expect(out).toMatch(/resourceVersion: "\d+"/);
  });

  it('watches pods and sees a new one appear', async () => {
    const child = h.spawnKubectl('get', 'pods', '-n', 'blog', '-w', '--request-timeout=30s');
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
      h.kube.store.patch('replicasets', 'blog', 'blog-blue', { spec: { replicas: 3 } }, 'application/merge-patch+json');
      const before = new Set(out.match(/blog-blue-[a-z0-9]{5}/g));
      await seen(new RegExp(`blog-blue-(?!${[...before].map((n) => n.slice(-5)).join('|')})[a-z0-9]{5}`));
    } finally {
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('patches with each patch type and prints the answer, which carries its kind', async () => {
    expect(await h.kubectl('patch', 'rs', 'blog-blue', '-n', 'blog', '-p', '{"metadata":{"labels":{"tier":"web"}}}')).toBe('replicaset.apps/blog-blue patched\n');
    expect(await h.kubectl('patch', 'rs', 'blog-blue', '-n', 'blog', '-p', '{"metadata":{"labels":{"tier":"web"}}}')).toBe('replicaset.apps/blog-blue patched (no change)\n');
    const merged = JSON.parse(await h.kubectl('patch', 'rs', 'blog-blue', '-n', 'blog', '--type', 'merge', '-p', '{"spec":{"replicas":2}}', '-o', 'json')) as Record<string, any>;
    expect(merged).toMatchObject({ kind: 'ReplicaSet', apiVersion: 'apps/v1', spec: { replicas: 2 } });
    await h.kubectl('patch', 'cm', 'switchyard-blog', '-n', 'blog', '--type', 'json', '-p', '[{"op":"add","path":"/data/note","value":"hi"}]');
    expect(h.kube.store.get('configmaps', 'blog', 'switchyard-blog').data).toEqual({ 'state.json': '{"app":"blog"}', note: 'hi' });
  });

  it('deletes a ReplicaSet, and its pods go with it', async () => {
    expect(await h.kubectl('delete', 'rs', 'blog-blue', '-n', 'blog')).toContain('replicaset.apps "blog-blue" deleted');
    const until = Date.now() + 10_000;
    while (Date.now() < until && h.kube.store.list('pods', 'blog').items.length > 0) await new Promise((r) => setTimeout(r, 20));
    expect(h.kube.store.list('pods', 'blog').items).toEqual([]);
    expect(await h.kubectl('get', 'rs', '-n', 'blog')).toBe('');
  });

  it('needed nothing the stand-in does not serve', () => {
    expect(h.kube.unserved).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { rawApi, type RawAnswer, type RawRequest } from './raw-http.js';

/** `replicasets/NAME/scale`: an autoscaling/v1 Scale over spec.replicas, as ScaleREST serves it. */
describe('the scale subresource of a ReplicaSet', () => {
  let kube: KubeStandIn;
  let api: (path: string, init?: RawRequest) => Promise<RawAnswer>;
  const scale = '/apis/apps/v1/namespaces/blog/replicasets/blog-blue/scale';
  const until = async (what: () => boolean) => {
    while (!what()) await new Promise((r) => setTimeout(r, 5));
  };
  const observed = () => (kube.store.get('replicasets', 'blog', 'blog-blue').status as { replicas?: number }).replicas;
  const pods = () => kube.store.list('pods', 'blog', { labelSelector: 'name=blog-blue' }).items.filter((p) => !p.metadata.deletionTimestamp).length;

  beforeAll(async () => {
    kube = await startKubeStandIn();
    api = rawApi(kube.url);
    kube.store.create('namespaces', undefined, { metadata: { name: 'blog' } });
    kube.store.create('replicasets', 'blog', {
      metadata: { name: 'blog-blue' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { name: 'blog-blue', app: 'blog' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'edge'] }] },
        template: { metadata: { labels: { name: 'blog-blue', app: 'blog', tier: 'web' } }, spec: { containers: [{ name: 'web', image: 'blog:1' }] } },
      },
    });
    await until(() => observed() === 2);
  });
  afterAll(async () => {
    await kube?.close();
  });

  it('is listed in discovery as autoscaling/v1 Scale', async () => {
    expect((await api('/apis/apps/v1')).body.resources).toContainEqual({ name: 'replicasets/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  });

  it('reads as a Scale: the ReplicaSet\'s identity, desired and observed replicas, the selector as a string ordered by key', async () => {
    const rs = kube.store.get('replicasets', 'blog', 'blog-blue');
    expect((await api(scale)).body).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'blog-blue', namespace: 'blog', uid: rs.metadata.uid, resourceVersion: rs.metadata.resourceVersion, creationTimestamp: rs.metadata.creationTimestamp },
      spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app=blog,name=blog-blue,tier in (edge,web)' },
    });
  });

  it('sets spec.replicas on PUT and on each patch type, and the controller follows', async () => {
    const put = await api(scale, { method: 'PUT', json: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'blog-blue' }, spec: { replicas: 3 } } });
    expect(put.body).toMatchObject({ kind: 'Scale', spec: { replicas: 3 } });
    expect(kube.store.get('replicasets', 'blog', 'blog-blue')).toMatchObject({ spec: { replicas: 3 }, metadata: { generation: 2 } });
    await until(() => pods() === 3);
    expect((await api(scale, { method: 'PATCH', type: 'application/merge-patch+json', json: { spec: { replicas: 1 } } })).body.spec.replicas).toBe(1);
    await until(() => pods() === 1);
    expect((await api(scale, { method: 'PATCH', type: 'application/strategic-merge-patch+json', json: { spec: { replicas: 2 } } })).body.spec.replicas).toBe(2);
    expect((await api(scale, { method: 'PATCH', type: 'application/json-patch+json', json: [{ op: 'replace', path: '/spec/replicas', value: 4 }] })).body.spec.replicas).toBe(4);
    await until(() => pods() === 4 && observed() === 4);
    expect((await api(scale)).body.status.replicas).toBe(4);
  });

  it('refuses a stale resourceVersion (409), a negative count (422), another name (400) and an unknown field when strict (400)', async () => {
    const current = (await api(scale)).body;
    await api(scale, { method: 'PATCH', type: 'application/merge-patch+json', json: { spec: { replicas: 2 } } });
    expect(await api(scale, { method: 'PUT', json: { ...current, spec: { replicas: 5 } } })).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    expect(await api(scale, { method: 'PUT', json: { metadata: { name: 'blog-blue' }, spec: { replicas: -1 } } })).toMatchObject({
      status: 422, body: { reason: 'Invalid', message: 'Scale.autoscaling "blog-blue" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' },
    });
    expect((await api(scale, { method: 'PUT', json: { metadata: { name: 'other' }, spec: { replicas: 1 } } })).status).toBe(400);
    expect(await api(`${scale}?fieldValidation=Strict`, { method: 'PUT', json: { metadata: { name: 'blog-blue' }, spec: { replicas: 1, max: 3 } } })).toMatchObject({
      status: 400, body: { message: 'Scale in version "v1" cannot be handled as a Scale: strict decoding error: unknown field "spec.max"' },
    });
    expect(kube.store.get('replicasets', 'blog', 'blog-blue').spec).toMatchObject({ replicas: 2 });
  });

  it('has no scale where the real server has none (a ConfigMap), and only get, update and patch', async () => {
    expect((await api('/api/v1/namespaces/blog/configmaps/x/scale')).status).toBe(404);
    expect((await api(scale, { method: 'POST', json: {} })).status).toBe(405);
    expect(kube.unserved.map((u) => u.status)).toEqual([404, 405]);
    kube.unserved.length = 0;
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { rawApi, readWatch, type RawAnswer, type RawRequest } from './raw-http.js';

/**
 * kind and apiVersion as kube-apiserver serves them: on every object it
 * answers with, whatever the client sent (or left out), and on watch events;
 * not on the items of a JSON list (kubernetes/kubernetes#3030).
 */
describe('kind and apiVersion', () => {
  let kube: KubeStandIn;
  let api: (path: string, init?: RawRequest) => Promise<RawAnswer>;
  const typeMeta = { kind: 'ConfigMap', apiVersion: 'v1' };
  const path = '/api/v1/namespaces/blog/configmaps';

  beforeAll(async () => {
    kube = await startKubeStandIn();
    api = rawApi(kube.url);
    kube.store.create('namespaces', undefined, { metadata: { name: 'blog' } });
  });
  afterAll(async () => {
    await kube?.close();
  });

  it('are on what create, get, update, every patch type and a status update answer, though the bodies had none', async () => {
    expect((await api(path, { method: 'POST', json: { metadata: { name: 'cm' }, data: { a: '1' } } })).body).toMatchObject(typeMeta);
    expect((await api(`${path}/cm`)).body).toMatchObject(typeMeta);
    expect((await api(`${path}/cm`, { method: 'PUT', json: { metadata: { name: 'cm' }, data: { a: '2' } } })).body).toMatchObject(typeMeta);
    expect((await api(`${path}/cm`, { method: 'PATCH', type: 'application/merge-patch+json', json: { data: { b: '1' } } })).body).toMatchObject(typeMeta);
    expect((await api(`${path}/cm`, { method: 'PATCH', type: 'application/strategic-merge-patch+json', json: { data: { c: '1' } } })).body).toMatchObject(typeMeta);
    const removed = await api(`${path}/cm`, { method: 'PATCH', type: 'application/json-patch+json', json: [{ op: 'remove', path: '/kind' }, { op: 'add', path: '/data/d', value: '1' }] });
    expect(removed.body).toMatchObject({ ...typeMeta, data: { a: '2', b: '1', c: '1', d: '1' } });
    const rs = {
      metadata: { name: 'rs' },
      spec: { replicas: 0, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    const created = await api('/apis/apps/v1/namespaces/blog/replicasets', { method: 'POST', json: rs });
    const status = await api('/apis/apps/v1/namespaces/blog/replicasets/rs/status', { method: 'PUT', json: { metadata: { name: 'rs' }, spec: rs.spec, status: { replicas: 0 } } });
    for (const answer of [created, status]) expect(answer.body).toMatchObject({ kind: 'ReplicaSet', apiVersion: 'apps/v1' });
    expect(Object.keys(created.body).slice(0, 3)).toEqual(['kind', 'apiVersion', 'metadata']);
  });

  it('are left off the items of a list, as the real server leaves them off; watch events carry them', async () => {
    const list = (await api(path)).body;
    expect(list).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', items: [{ metadata: { name: 'cm' } }] });
    expect(list.items[0]).not.toHaveProperty('kind');
    expect(list.items[0]).not.toHaveProperty('apiVersion');
    const [added] = await readWatch(`${kube.url}${path}?watch=true`, (events) => events.length > 0);
    expect(added!.object).toMatchObject({ ...typeMeta, metadata: { name: 'cm' } });
  });

  it('refuses a body of another kind or version', async () => {
    expect(await api(path, { method: 'POST', json: { kind: 'Secret', metadata: { name: 'x' } } })).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    expect(await api(path, { method: 'POST', json: { apiVersion: 'v2', metadata: { name: 'x' } } })).toMatchObject({
      status: 400, body: { message: 'the API version in the data (v2) does not match the expected API version (v1)' },
    });
  });

  it('a write that changes nothing stores nothing: same resourceVersion, no event', async () => {
    const before = (await api(`${path}/cm`)).body;
    let events = 0;
    const off = kube.store.subscribe(() => events++);
    const again = await api(`${path}/cm`, { method: 'PATCH', type: 'application/merge-patch+json', json: { data: { a: '2' } } });
    const reordered = await api(`${path}/cm`, { method: 'PUT', json: { data: Object.fromEntries(Object.entries(before.data as object).reverse()), metadata: { name: 'cm' } } });
    off();
    expect([again.body.metadata.resourceVersion, reordered.body.metadata.resourceVersion]).toEqual([before.metadata.resourceVersion, before.metadata.resourceVersion]);
    expect(events).toBe(0);
  });

  it('needed nothing the stand-in does not serve', () => {
    expect(kube.unserved).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { readyPodVersions } from '../../src/sandbox/kube/ready-pod-versions.js';
import { rawApi, type RawRequest } from './raw-http.js';

/** The stand-in speaks the REST protocol: these tests use plain HTTP, as any client would. */
describe('stand-in API server protocol', () => {
  let kube: KubeStandIn;
  const api = (path: string, init?: RawRequest) => rawApi(kube.url)(path, init);
  const rs = (name: string, replicas = 1, extra: Record<string, string> = {}) => ({
    metadata: { name, labels: { app: 'blog', ...extra } },
    spec: { replicas, selector: { matchLabels: { name } }, template: { metadata: { labels: { name, app: 'blog', 'switchyard/version': 'v1' } }, spec: { containers: [{ name: 'web', image: 'blog:v1' }] } } },
  });
  const until = async (what: () => boolean | Promise<boolean>) => {
    while (!(await what())) await new Promise((r) => setTimeout(r, 5));
  };

  beforeAll(async () => {
    kube = await startKubeStandIn({ readyDelayMs: 10, historyLimit: 50 });
    await api('/api/v1/namespaces', { method: 'POST', json: { metadata: { name: 'blog' } } });
  });
  afterAll(async () => {
    await kube?.close();
  });

  it('answers discovery documents', async () => {
    expect((await api('/version')).body).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
    expect((await api('/apis')).body.groups.map((g: { name: string }) => g.name)).toEqual(['apps', 'coordination.k8s.io']);
    const apps = (await api('/apis/apps/v1')).body;
    expect(apps.resources).toContainEqual(expect.objectContaining({ name: 'replicasets', shortNames: ['rs'], namespaced: true }));
  });

  it('creates with uid, creationTimestamp, generation and a monotonic resourceVersion; generateName makes a name', async () => {
    const a = await api('/apis/apps/v1/namespaces/blog/replicasets', { method: 'POST', json: rs('blog-blue', 0) });
    expect(a.status).toBe(201);
    expect(a.body.metadata).toMatchObject({ name: 'blog-blue', namespace: 'blog', generation: 1, uid: expect.any(String), creationTimestamp: expect.stringMatching(/Z$/) });
    const b = await api('/api/v1/namespaces/blog/configmaps', { method: 'POST', json: { metadata: { generateName: 'cm-' }, data: { a: '1' } } });
    expect(b.body.metadata.name).toMatch(/^cm-[a-z0-9]{5}$/);
    expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(Number(a.body.metadata.resourceVersion));
  });

  it('answers Status objects: 409 AlreadyExists, 404 NotFound, 409 Conflict on a stale resourceVersion, 422 Invalid', async () => {
    const dup = await api('/apis/apps/v1/namespaces/blog/replicasets', { method: 'POST', json: rs('blog-blue') });
    expect(dup).toMatchObject({ status: 409, body: { kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409 } });
    expect(await api('/apis/apps/v1/namespaces/blog/replicasets/nope')).toMatchObject({ status: 404, body: { reason: 'NotFound', message: 'replicasets.apps "nope" not found' } });
    const cur = (await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue')).body;
    const ok = await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue', { method: 'PUT', json: { ...cur, spec: { ...cur.spec, replicas: 1 } } });
    expect(ok.body.metadata.generation).toBe(2);
    const stale = await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue', { method: 'PUT', json: cur });
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    const bad = rs('bad');
    bad.spec.template.metadata.labels.name = 'other';
    expect(await api('/apis/apps/v1/namespaces/blog/replicasets', { method: 'POST', json: bad })).toMatchObject({
      status: 422, body: { reason: 'Invalid', details: { causes: [expect.objectContaining({ field: 'spec.template.metadata.labels' })] } },
    });
    expect(await api('/api/v1/namespaces/nowhere/configmaps', { method: 'POST', json: { metadata: { name: 'x' } } })).toMatchObject({ status: 404 });
  });

  it('patches: merge, strategic merge (containers by name) and JSON patch', async () => {
    const path = '/apis/apps/v1/namespaces/blog/replicasets/blog-blue';
    await api(path, { method: 'PATCH', type: 'application/merge-patch+json', json: { metadata: { annotations: { note: 'm' } } } });
    const sm = await api(path, { method: 'PATCH', type: 'application/strategic-merge-patch+json', json: { spec: { template: { spec: { containers: [{ name: 'web', image: 'blog:v2' }] } } } } });
    expect(sm.body.spec.template.spec.containers).toEqual([{ name: 'web', image: 'blog:v2' }]);
    expect(sm.body.metadata.annotations).toEqual({ note: 'm' });
    const jp = await api(path, { method: 'PATCH', type: 'application/json-patch+json', json: [{ op: 'replace', path: '/spec/replicas', value: 2 }] });
    expect(jp.body.spec.replicas).toBe(2);
    expect((await api(path, { method: 'PATCH', type: 'text/plain', json: {} })).status).toBe(415);
  });

  it('selects by label (=, ==, !=, in, notin, exists, !exists) and by field', async () => {
    for (const [n, tier] of [['s-a', 'web'], ['s-b', 'db'], ['s-c', '']] as const) {
      await api('/api/v1/namespaces/blog/configmaps', { method: 'POST', json: { metadata: { name: n, labels: tier ? { tier } : { other: 'x' } } } });
    }
    const names = async (q: string) => (await api(`/api/v1/namespaces/blog/configmaps?${q}`)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name).filter((n: string) => n.startsWith('s-'));
    expect(await names('labelSelector=tier%3Dweb')).toEqual(['s-a']);
    expect(await names('labelSelector=tier%3D%3Ddb')).toEqual(['s-b']);
    expect(await names('labelSelector=tier!%3Dweb')).toEqual(['s-b', 's-c']);
    expect(await names(`labelSelector=${encodeURIComponent('tier in (web,db)')}`)).toEqual(['s-a', 's-b']);
    expect(await names(`labelSelector=${encodeURIComponent('tier notin (web)')}`)).toEqual(['s-b', 's-c']);
    expect(await names('labelSelector=tier')).toEqual(['s-a', 's-b']);
    expect(await names('labelSelector=!tier')).toEqual(['s-c']);
    expect(await names('fieldSelector=metadata.name%3Ds-b')).toEqual(['s-b']);
    expect((await api('/api/v1/namespaces/blog/configmaps?labelSelector=%3D%3D')).status).toBe(400);
  });

  it('runs pods for a ReplicaSet: owner references, template labels, Pending → Running → Ready, status counts', async () => {
    await until(async () => (await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue')).body.status.readyReplicas === 2);
    const pods = (await api('/api/v1/namespaces/blog/pods?labelSelector=name%3Dblog-blue')).body.items;
    expect(pods).toHaveLength(2);
    expect(pods[0].metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: 'blog-blue', controller: true })]);
    expect(pods[0].metadata.labels).toMatchObject({ name: 'blog-blue', app: 'blog' });
    expect(pods[0].status.phase).toBe('Running');
    expect(readyPodVersions(kube.store, 'blog', 'blog', 'blue')).toEqual(['v1']);
    const rsNow = (await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue')).body;
    expect(rsNow.status).toMatchObject({ replicas: 2, readyReplicas: 2, observedGeneration: rsNow.metadata.generation });
  });

  it('watches from a resourceVersion: ADDED/MODIFIED/DELETED, a label change out of the selector is DELETED, too old is 410', async () => {
    const start = (await api('/api/v1/namespaces/blog/configmaps')).body.metadata.resourceVersion;
    const ctrl = new AbortController();
    const res = await fetch(`${kube.url}/api/v1/namespaces/blog/configmaps?watch=1&labelSelector=w%3D1&resourceVersion=${start}`, { signal: ctrl.signal });
    const lines: { type: string; object: { metadata: { name: string } } }[] = [];
    const reading = (async () => {
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += Buffer.from(chunk).toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      }
    })().catch(() => undefined);
    await api('/api/v1/namespaces/blog/configmaps', { method: 'POST', json: { metadata: { name: 'w', labels: { w: '1' } } } });
    await api('/api/v1/namespaces/blog/configmaps/w', { method: 'PATCH', type: 'application/merge-patch+json', json: { data: { x: 'y' } } });
    await api('/api/v1/namespaces/blog/configmaps/w', { method: 'PATCH', type: 'application/merge-patch+json', json: { metadata: { labels: { w: '2' } } } });
    await until(() => lines.length === 3);
    expect(lines.map((l) => `${l.type} ${l.object.metadata.name}`)).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
    expect(kube.closeWatches()).toBe(1);
    await reading;
    ctrl.abort();
    for (let i = 0; i < 60; i++) await api('/api/v1/namespaces/blog/configmaps/w', { method: 'PATCH', type: 'application/merge-patch+json', json: { data: { i: String(i) } } });
    const gone = await fetch(`${kube.url}/api/v1/namespaces/blog/configmaps?watch=true&resourceVersion=${start}`).then((r) => r.text());
    expect(JSON.parse(gone.trim())).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('refuses what the real server refuses: a watch from no version or a future one, a create that carries a resourceVersion', async () => {
    const now = Number((await api('/api/v1/namespaces/blog/configmaps')).body.metadata.resourceVersion);
    expect(await api('/api/v1/namespaces/blog/configmaps?watch=true&resourceVersion=abc')).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest' } });
    expect(await api(`/api/v1/namespaces/blog/configmaps?watch=true&resourceVersion=${now + 100}`)).toMatchObject({
      status: 504, body: { kind: 'Status', reason: 'Timeout', message: `Too large resource version: ${now + 100}, current: ${now}` },
    });
    expect(await api('/api/v1/namespaces/blog/configmaps', { method: 'POST', json: { metadata: { name: 'copied', resourceVersion: '7' } } })).toMatchObject({
      status: 400, body: { reason: 'BadRequest', message: 'resourceVersion should not be set on objects to be created' },
    });
  });

  it('deletes with propagation: Foreground removes pods before the ReplicaSet, Orphan leaves them', async () => {
    const fg = await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue', { method: 'DELETE', json: { propagationPolicy: 'Foreground' } });
    expect(fg.body.metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ['foregroundDeletion'] });
    await until(async () => (await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue')).status === 404);
    expect((await api('/api/v1/namespaces/blog/pods?labelSelector=name%3Dblog-blue')).body.items).toEqual([]);
    await api('/apis/apps/v1/namespaces/blog/replicasets', { method: 'POST', json: rs('blog-green', 1) });
    await until(async () => (await api('/api/v1/namespaces/blog/pods?labelSelector=name%3Dblog-green')).body.items.length === 1);
    const orphan = await api('/apis/apps/v1/namespaces/blog/replicasets/blog-green?propagationPolicy=Orphan', { method: 'DELETE' });
    expect(orphan.body).toMatchObject({ kind: 'Status', status: 'Success' });
    await new Promise((r) => setTimeout(r, 30));
    const left = (await api('/api/v1/namespaces/blog/pods?labelSelector=name%3Dblog-green')).body.items;
    expect(left).toHaveLength(1);
    expect(left[0].metadata.ownerReferences ?? []).toEqual([]);
  });

  it('injects faults: the next matching requests answer the given status', async () => {
    kube.faults.add({ verb: 'create', resource: 'configmaps', status: 500, times: 2 });
    const body = { metadata: { name: 'f' } };
    expect((await api('/api/v1/namespaces/blog/configmaps', { method: 'POST', json: body })).body).toMatchObject({ code: 500, reason: 'InternalError' });
    expect((await api('/api/v1/namespaces/blog/configmaps', { method: 'POST', json: body })).status).toBe(500);
    expect((await api('/api/v1/namespaces/blog/configmaps', { method: 'POST', json: body })).status).toBe(201);
  });

  it('is strict: unknown paths and methods answer as kube-apiserver does, and are recorded', async () => {
    expect(kube.unserved).toEqual([]);
    // Outside the group-versions it serves, a real server has no route at all: Go's plain-text 404.
    const noGroup = await fetch(`${kube.url}/apis/batch/v1/namespaces/blog/jobs`);
    expect([noGroup.status, noGroup.headers.get('content-type'), await noGroup.text()]).toEqual([404, 'text/plain; charset=utf-8', '404 page not found\n']);
    // Inside one, go-restful answers a Status.
    expect(await api('/apis/apps/v1/namespaces/blog/deployments')).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', code: 404, details: {} } });
    expect(await api('/apis/apps/v1/namespaces/blog/replicasets/blog-blue/log')).toMatchObject({ status: 404, body: { reason: 'NotFound' } });
    expect(await api('/api/v1/namespaces/blog/configmaps/x', { method: 'POST', json: {} })).toMatchObject({
      status: 405, body: { kind: 'Status', reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource', code: 405 },
    });
    expect((await api('/version', { method: 'DELETE' })).status).toBe(405);
    expect((await api('/api/v1/namespaces/blog/configmaps/x?watch=true')).status).toBe(405);
    // Namespaces have no deletecollection, on a real server either.
    expect((await api('/api/v1/namespaces', { method: 'DELETE' })).status).toBe(405);
    expect((await api('/apis/apps/v1/namespaces/blog/replicasets/x/scale', { method: 'DELETE' })).status).toBe(405);
    expect(kube.unserved).toEqual([
      { method: 'GET', path: '/apis/batch/v1/namespaces/blog/jobs', status: 404 },
      { method: 'GET', path: '/apis/apps/v1/namespaces/blog/deployments', status: 404 },
      { method: 'GET', path: '/apis/apps/v1/namespaces/blog/replicasets/blog-blue/log', status: 404 },
      { method: 'POST', path: '/api/v1/namespaces/blog/configmaps/x', status: 405 },
      { method: 'DELETE', path: '/version', status: 405 },
      { method: 'GET', path: '/api/v1/namespaces/blog/configmaps/x', status: 405 },
      { method: 'DELETE', path: '/api/v1/namespaces', status: 405 },
      { method: 'DELETE', path: '/apis/apps/v1/namespaces/blog/replicasets/x/scale', status: 405 },
    ]);
    kube.unserved.length = 0;
  });

  it('refuses, and records, what a real server does but the stand-in does not: dry run, server-side apply', async () => {
    const path = '/api/v1/namespaces/blog/configmaps';
    expect(await api(`${path}?dryRun=All`, { method: 'POST', json: { metadata: { name: 'dry' } } })).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    expect(kube.store.find('configmaps', 'blog', 'dry')).toBeUndefined();
    expect(await api(`${path}/s-a`, { method: 'PATCH', type: 'application/apply-patch+yaml', json: { data: { a: 'b' } } })).toMatchObject({ status: 415, body: { reason: 'UnsupportedMediaType' } });
    expect(kube.unserved).toEqual([
      { method: 'POST', path, status: 400 },
      { method: 'PATCH', path: `${path}/s-a`, status: 415 },
    ]);
    kube.unserved.length = 0;
  });
});

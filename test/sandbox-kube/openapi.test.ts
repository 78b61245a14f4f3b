import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { rawApi, type RawAnswer, type RawRequest } from './raw-http.js';

/** The OpenAPI documents as kube-openapi serves them; kubectl.test.ts shows kubectl reading them. */
describe('OpenAPI documents', () => {
  let kube: KubeStandIn;
  let api: (path: string, init?: RawRequest) => Promise<RawAnswer>;

  beforeAll(async () => {
    kube = await startKubeStandIn({ serverVersion: { major: '1', minor: '30' } });
    api = rawApi(kube.url);
  });
  afterAll(async () => {
    await kube?.close();
  });

  it('indexes one v3 document per served group-version, each addressed by the SHA-512 of its content', async () => {
    const index = (await api('/openapi/v3')).body;
    expect(Object.keys(index.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1']);
    const url: string = index.paths['apis/apps/v1'].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await api(url);
    expect(doc.headers.get('cache-control')).toBe('public, immutable');
    expect(doc.headers.get('etag')).toBe(`"${url.split('hash=')[1]}"`);
    expect(doc.body).toMatchObject({ openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.30.0' } });
    expect((await api(url, { headers: { 'if-none-match': doc.headers.get('etag')! } })).status).toBe(304);
    const stale = await api('/openapi/v3/apis/apps/v1?hash=ABC', { redirect: 'manual' });
    expect([stale.status, stale.headers.get('location')]).toEqual([301, url]);
  });

  it('tells kubectl that PATCH validates fields and takes a strategic merge, for each kind and the Scale', async () => {
    const doc = (await api('/openapi/v3/apis/apps/v1')).body;
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/replicasets/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'ReplicaSet' });
    expect(patch.parameters).toContainEqual({ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } });
    expect(Object.keys(patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/replicasets/{name}/scale'].put['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const schemas = doc.components.schemas;
    expect(schemas['io.k8s.api.apps.v1.ReplicaSet']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'ReplicaSet' }]);
    expect(schemas['io.k8s.api.core.v1.PodSpec'].properties.containers).toEqual({
      type: 'array', items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }, 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge',
    });
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toEqual({ type: 'string', format: 'date-time' });
    const core = (await api('/openapi/v3/api/v1')).body;
    for (const kind of ['Pod', 'Service', 'ConfigMap', 'Namespace', 'Event']) expect(core.components.schemas[`io.k8s.api.core.v1.${kind}`]['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind }]);
    expect(core.paths['/api/v1/namespaces'].delete).toBeUndefined();
    expect(core.components.schemas['io.k8s.api.core.v1.ServiceSpec'].properties.ports['x-kubernetes-patch-merge-key']).toBe('port');
  });

  it('serves v2 as JSON or as the protobuf kubectl asks for, and nothing else', async () => {
    const json = await api('/openapi/v2', { headers: { accept: 'application/json' } });
    expect(json.body).toMatchObject({ swagger: '2.0', info: { version: 'v1.30.0' } });
    expect(json.body.definitions['io.k8s.api.coordination.v1.Lease']['x-kubernetes-group-version-kind']).toEqual([{ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }]);
    const pb = await fetch(`${kube.url}/openapi/v2`, { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect(pb.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    // Field 1 (swagger), length-delimited: "2.0".
    expect([...new Uint8Array(await pb.arrayBuffer()).slice(0, 5)]).toEqual([0x0a, 3, 0x32, 0x2e, 0x30]);
    expect((await api('/openapi/v2', { headers: { accept: 'text/html' } })).status).toBe(406);
  });

  it('records a group-version it has no document for', async () => {
    expect((await api('/openapi/v3/apis/batch/v1')).status).toBe(404);
    expect(kube.unserved).toEqual([{ method: 'GET', path: '/openapi/v3/apis/batch/v1', status: 404 }]);
    kube.unserved.length = 0;
  });
});

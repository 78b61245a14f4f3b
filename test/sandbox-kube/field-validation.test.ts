import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { rawApi, type RawAnswer, type RawRequest } from './raw-http.js';

/** `?fieldValidation=`: a field the kind does not have is refused (Strict), dropped with a warning (Warn, the default) or dropped (Ignore). */
describe('field validation', () => {
  let kube: KubeStandIn;
  let api: (path: string, init?: RawRequest) => Promise<RawAnswer>;
  const path = '/apis/apps/v1/namespaces/blog/replicasets';
  const rs = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { name } },
      template: { metadata: { labels: { name } }, spec: { containers: [{ name: 'web', image: 'blog:1', imagePullPolicy: 'IfNotPresent', ...extra }] } },
    },
  });

  beforeAll(async () => {
    kube = await startKubeStandIn();
    api = rawApi(kube.url);
    kube.store.create('namespaces', undefined, { metadata: { name: 'blog' } });
  });
  afterAll(async () => {
    await kube?.close();
  });

  it('Strict refuses a create or update with a field the kind lacks, naming it by path', async () => {
    expect(await api(`${path}?fieldValidation=Strict`, { method: 'POST', json: rs('strict', { imagee: 'typo', resources: { limits: { cpu: '1' }, limitz: {} } }) })).toMatchObject({
      status: 400,
      body: {
        reason: 'BadRequest',
        message: 'ReplicaSet in version "v1" cannot be handled as a ReplicaSet: strict decoding error: unknown field "spec.template.spec.containers[0].imagee", unknown field "spec.template.spec.containers[0].resources.limitz"',
      },
    });
    expect(kube.store.find('replicasets', 'blog', 'strict')).toBeUndefined();
    await api(path, { method: 'POST', json: rs('strict') });
    expect((await api(`${path}/strict?fieldValidation=Strict`, { method: 'PUT', json: { ...rs('strict'), extra: 1 } })).body.message).toContain('strict decoding error: unknown field "extra"');
  });

  it('Warn (the default) drops the field and says so in a Warning header; Ignore drops it silently', async () => {
    const warned = await api(path, { method: 'POST', json: rs('warned', { imagee: 'typo' }) });
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"spec.template.spec.containers[0].imagee\\""');
    expect(warned.body.spec.template.spec.containers[0]).toEqual({ name: 'web', image: 'blog:1', imagePullPolicy: 'IfNotPresent' });
    const ignored = await api(`${path}?fieldValidation=Ignore`, { method: 'POST', json: rs('ignored', { imagee: 'typo' }) });
    expect([ignored.status, ignored.headers.get('warning'), ignored.body.spec.template.spec.containers[0].imagee]).toEqual([201, null, undefined]);
  });

  it('Strict refuses a patch that adds one: quoting the patch for strategic merge, the patched object for merge patch', async () => {
    const strategic = await api(`${path}/strict?fieldValidation=Strict`, { method: 'PATCH', type: 'application/strategic-merge-patch+json', json: { spec: { replica: 3, minReadySeconds: 1000000 } } });
    expect(strategic).toMatchObject({
      status: 422,
      body: { reason: 'Invalid', message: ' "" is invalid: patch: Invalid value: "map[spec:map[minReadySeconds:1e+06 replica:3]]": strict decoding error: unknown field "spec.replica"' },
    });
    const merge = await api(`${path}/strict?fieldValidation=Strict`, { method: 'PATCH', type: 'application/merge-patch+json', json: { metadata: { labelz: { a: 'b' } } } });
    expect(merge.status).toBe(422);
    expect(merge.body.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"apps\/v1\\",\\"kind\\":\\"ReplicaSet\\",\\"metadata\\":\{.*\}": strict decoding error: unknown field "metadata.labelz"$/);
    const warned = await api(`${path}/strict`, { method: 'PATCH', type: 'application/merge-patch+json', json: { metadata: { labelz: { a: 'b' } } } });
    expect([warned.status, warned.headers.get('warning'), warned.body.metadata.labelz]).toEqual([200, '299 - "unknown field \\"metadata.labelz\\""', undefined]);
  });

  it('answers a directive it does not know with a 422 naming the supported ones', async () => {
    expect(await api(`${path}?fieldValidation=Loud`, { method: 'POST', json: rs('loud') })).toMatchObject({
      status: 422,
      body: { message: 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"' },
    });
  });

  it('needed nothing the stand-in does not serve', () => {
    expect(kube.unserved).toEqual([]);
  });
});

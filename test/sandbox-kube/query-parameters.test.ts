import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { rawApi, readWatch, type RawAnswer } from './raw-http.js';

/**
 * Query parameters as kube-apiserver reads them (apimachinery's
 * Convert_Slice_string_To_bool for flags, strconv for integers, ParseBool for
 * `pretty`): what kubectl and client-node send always worked; these are what
 * other clients send.
 */
describe('query parameters, read the way kube-apiserver reads them', () => {
  let kube: KubeStandIn;
  let api: (path: string, init?: RequestInit) => Promise<RawAnswer>;
  const configmaps = '/api/v1/namespaces/blog/configmaps';

  beforeAll(async () => {
    kube = await startKubeStandIn();
    api = rawApi(kube.url);
    kube.store.create('namespaces', undefined, { metadata: { name: 'blog' } });
    kube.store.create('configmaps', 'blog', { metadata: { name: 'a' }, data: { k: 'v' } });
  });
  afterAll(async () => {
    await kube?.close();
  });

  // The Python client sends watch=True; only 0 and false (in any case) turn a flag off, so yes and an empty value are on too.
  it.each(['true', 'True', 'TRUE', '1', 't', 'yes', ''])('watch=%s starts a watch', async (value) => {
    const [first] = await readWatch(`${kube.url}${configmaps}?watch=${value}`, (events) => events.length > 0);
    expect(first).toMatchObject({ type: 'ADDED', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a' } } });
  });

  it.each(['false', 'False', 'FALSE', 'fAlSe', '0'])('watch=%s lists', async (value) => {
    expect(await api(`${configmaps}?watch=${value}`)).toMatchObject({ status: 200, body: { kind: 'ConfigMapList', items: [{ metadata: { name: 'a' } }] } });
  });

  it('sends bookmarks when allowed (allowWatchBookmarks=1), 2 s before the watch times out, and none otherwise', async () => {
    const [withBookmarks, without] = await Promise.all([
      readWatch(`${kube.url}${configmaps}?watch=1&allowWatchBookmarks=1&timeoutSeconds=3`),
      readWatch(`${kube.url}${configmaps}?watch=1&allowWatchBookmarks=0&timeoutSeconds=3`),
    ]);
    expect(withBookmarks.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(withBookmarks[1]!.object).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(kube.store.resourceVersion) } });
    expect(without.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('answers an integer that is not one with the 400 strconv.ParseInt causes', async () => {
    expect(await api(`${configmaps}?watch=1&timeoutSeconds=soon`)).toMatchObject({
      status: 400, body: { kind: 'Status', reason: 'BadRequest', message: 'strconv.ParseInt: parsing "soon": invalid syntax' },
    });
    expect((await api(`${configmaps}?limit=ten`)).status).toBe(400);
  });

  it('refuses sendInitialEvents as a server with the WatchList gate off does, and checks resourceVersionMatch', async () => {
    expect(await api(`${configmaps}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`)).toMatchObject({
      status: 422,
      body: {
        reason: 'Invalid',
        message: 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
        details: { group: 'meta.k8s.io', kind: 'ListOptions', causes: [{ field: 'sendInitialEvents', reason: 'FieldValueForbidden' }] },
      },
    });
    expect((await api(`${configmaps}?sendInitialEvents=false`)).body.message).toContain('sendInitialEvents is forbidden for list');
    expect((await api(`${configmaps}?resourceVersionMatch=Exact`)).body.message).toContain('resourceVersionMatch is forbidden unless resourceVersion is provided');
    expect((await api(`${configmaps}?resourceVersionMatch=NotOlderThan&resourceVersion=0`)).status).toBe(200);
  });

  it('indents with pretty as Go\'s ParseBool reads it (an unreadable value means no), and for curl by default', async () => {
    const indented = (answer: RawAnswer) => answer.text.startsWith('{\n  "kind"');
    for (const value of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(indented(await api(`${configmaps}/a?pretty=${value}`))).toBe(true);
    for (const value of ['0', 'false', 'yes']) expect(indented(await api(`${configmaps}/a?pretty=${value}`))).toBe(false);
    expect((await api(`${configmaps}/a`)).text).toMatch(/^\{"kind":"ConfigMap".*\}\n$/);
    expect(indented(await api(`${configmaps}/a`, { headers: { 'user-agent': 'curl/7.88.1' } }))).toBe(true);
    expect(indented(await api(`${configmaps}/a?pretty=false`, { headers: { 'user-agent': 'curl/7.88.1' } }))).toBe(false);
  });

  it('needed nothing the stand-in does not serve', () => {
    expect(kube.unserved).toEqual([]);
  });
});

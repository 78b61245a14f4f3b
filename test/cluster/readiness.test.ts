import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureColourCreated } from '../../src/cluster/create-colour.js';
import { ensureColourRetired } from '../../src/cluster/ensure-colour-retired.js';
import { watchColourReadiness, type ColourReadiness } from '../../src/cluster/colour-readiness.js';
import { waitForColourReady } from '../../src/cluster/wait-for-colour-ready.js';
import type { ImageFailure } from '../../src/sandbox/kube/pod-lifecycle.js';
import { appTemplate, REAL, startClusterUnderTest, type ClusterUnderTest } from './cluster-under-test.js';

// Failing images, closed streams and a compacted history need the stand-in's hooks.
describe.skipIf(REAL)('readiness: fail-fast reasons, timeout, watch re-establishment', () => {
  let c: ClusterUnderTest;
  beforeAll(async () => {
    c = await startClusterUnderTest(20);
  });
  afterAll(async () => {
    await c?.close();
  });

  it.each<[ImageFailure, string]>([
    ['CrashLoopBackOff', 'CrashLoopBackOff'],
    ['ImagePullBackOff', 'ErrImagePull|ImagePullBackOff'],
    ['ErrImagePull', 'ErrImagePull'],
    ['Failed', 'Failed'],
  ])('fails fast naming the pod and the reason when the image gives %s', async (failure, reason) => {
    const app = `fail-${failure.toLowerCase()}`;
    const version = `bad-${failure.toLowerCase()}`;
    c.standIn!.failImage(version, failure);
    const ref = { app, namespace: c.namespace, colour: 'green' as const };
    await ensureColourCreated(c.kube, { ...ref, version, replicas: 2, ...appTemplate(app) });
    const err = (await waitForColourReady(c.kube, ref, { timeoutMs: 20_000 }).catch((e: unknown) => e)) as { code: string; message: string; hint: string };
    expect(err.code).toBe('pods-not-ready');
    expect(err.message).toMatch(new RegExp(`pod ${c.namespace}/${app}-green-[a-z0-9]{5} of ${app}-green \\(version ${version}\\) will not become Ready: (${reason})`));
    expect(err.hint).toBeTruthy();
    await ensureColourRetired(c.kube, ref, { timeoutMs: 10_000 });
  });

  it('times out with the count of Ready pods when pods run but never become Ready', async () => {
    c.standIn!.failImage('never-ready', 'NeverReady');
    const ref = { app: 'slow', namespace: c.namespace, colour: 'blue' as const };
    await ensureColourCreated(c.kube, { ...ref, version: 'never-ready', replicas: 2, ...appTemplate('slow') });
    await expect(waitForColourReady(c.kube, ref, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'pods-not-ready',
      message: `slow-blue in ${c.namespace}: 0/2 pods Ready after 0 s`,
    });
    await ensureColourRetired(c.kube, ref, { timeoutMs: 10_000 });
  });

  it('times out with the API failure, not a count of Ready pods, when the watch fails from some point on', async () => {
    c.standIn!.failImage('cut-off', 'NeverReady');
    const ref = { app: 'cutoff', namespace: c.namespace, colour: 'blue' as const };
    await ensureColourCreated(c.kube, { ...ref, version: 'cut-off', replicas: 2, ...appTemplate('cutoff') });
    const breakApi = () => {
      for (const resource of ['replicasets', 'pods']) {
        for (const verb of ['list', 'watch'] as const) c.standIn!.faults.add({ verb, resource, namespace: c.namespace, status: 503, times: 10_000 });
      }
      c.standIn!.closeWatches();
    };
    const err = await waitForColourReady(c.kube, ref, { timeoutMs: 5_000, onProgress: (r) => r.pods === 2 && breakApi() }).catch((e: unknown) => e);
    c.standIn!.faults.clear();
    expect(err).toMatchObject({
      code: 'kube-api-failed',
      message: expect.stringMatching(new RegExp(`^cannot watch ReplicaSet and pods of ${c.namespace}/cutoff-blue: the Kubernetes API answered 503 ServiceUnavailable: .*injected fault.* \\(0/2 pods Ready when last read\\)$`)),
      cause: expect.objectContaining({ code: 503 }),
    });
    await ensureColourRetired(c.kube, ref, { timeoutMs: 10_000 });
  });

  it('re-establishes its watches when the server closes them, and re-lists after 410 Gone', async () => {
    const ref = { app: 'streams', namespace: c.namespace, colour: 'blue' as const };
    c.standIn!.failImage('held', 'NeverReady');
    await ensureColourCreated(c.kube, { ...ref, version: 'held', replicas: 2, ...appTemplate('streams') });
    const seen: ColourReadiness[] = [];
    const stop = new AbortController();
    const watching = watchColourReadiness(c.kube, ref, (r) => seen.push(r), { signal: stop.signal });
    const until = async (what: () => boolean) => {
      while (!what()) await new Promise((r) => setTimeout(r, 5));
    };
    await until(() => c.standIn!.openWatches === 2 && seen.some((r) => r.pods === 2));
    expect(c.standIn!.closeWatches()).toBe(2);
    await until(() => c.standIn!.openWatches === 2);
    // Changes made while no stream was open are replayed from the last resourceVersion seen.
    const pods = (await c.kube.core.listNamespacedPod({ namespace: c.namespace, labelSelector: 'name=streams-blue' })).items;
    for (const p of pods) c.standIn!.setPodReady(c.namespace, p.metadata!.name!, true);
    await until(() => seen.at(-1)?.ready === 2);
    expect(seen.at(-1)).toMatchObject({ settled: true });
    // A history too short to resume from answers 410 Gone: the watch lists again and carries on.
    c.standIn!.setPodReady(c.namespace, pods[0]!.metadata!.name!, false);
    await until(() => seen.at(-1)?.ready === 1);
    c.standIn!.closeWatches();
    c.standIn!.setPodReady(c.namespace, pods[0]!.metadata!.name!, true);
    c.standIn!.store.compact();
    await until(() => seen.at(-1)?.ready === 2);
    stop.abort();
    await watching;
    await until(() => c.standIn!.openWatches === 0);
    await ensureColourRetired(c.kube, ref, { timeoutMs: 10_000 });
  });

  it('keeps waiting through API errors and still resolves', async () => {
    const ref = { app: 'flaky', namespace: c.namespace, colour: 'blue' as const };
    await ensureColourCreated(c.kube, { ...ref, version: '3.9', replicas: 1, ...appTemplate('flaky') });
    c.standIn!.faults.add({ verb: 'list', resource: 'pods', status: 500, times: 2 });
    await expect(waitForColourReady(c.kube, ref, { timeoutMs: 10_000 })).resolves.toMatchObject({ settled: true });
    expect(c.standIn!.faults.pending).toBe(0);
  });

  it('stops at once, naming the colour, when the API refuses the watch (403), instead of retrying until the timeout', async () => {
    const ref = { app: 'denied', namespace: c.namespace, colour: 'blue' as const };
    c.standIn!.failImage('denied', 'NeverReady');
    await ensureColourCreated(c.kube, { ...ref, version: 'denied', replicas: 1, ...appTemplate('denied') });
    c.standIn!.faults.add({ verb: 'watch', resource: 'pods', status: 403 });
    await expect(waitForColourReady(c.kube, ref, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: 'kube-api-failed',
      message: `cannot watch ReplicaSet and pods of ${c.namespace}/denied-blue: the Kubernetes API answered 403`,
    });
    expect(c.standIn!.faults.pending).toBe(0);
    await ensureColourRetired(c.kube, ref, { timeoutMs: 10_000 });
  });

  it('served every request it was sent', () => {
    expect(c.standIn!.unserved).toEqual([]);
  });
});

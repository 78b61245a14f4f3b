import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureColourCreated, mirrorOf } from '../../src/cluster/create-colour.js';
import { ensureColourRetired } from '../../src/cluster/ensure-colour-retired.js';
import { readColourReadiness } from '../../src/cluster/colour-readiness.js';
import { readColours } from '../../src/cluster/read-colours.js';
import { waitForColourReady } from '../../src/cluster/wait-for-colour-ready.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { appTemplate, IMAGE, REAL, startClusterUnderTest, VERSIONS, type ClusterUnderTest } from './cluster-under-test.js';

const timeoutMs = REAL ? 180_000 : 10_000;

describe('colours: create from template, mirror, wait, retire', () => {
  let c: ClusterUnderTest;
  beforeAll(async () => {
    c = await startClusterUnderTest();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('creates the first colour from the app template and waits until all pods are Ready, reporting progress', async () => {
    const ref = { app: 'blog', namespace: c.namespace, colour: 'blue' as const };
    const created = await ensureColourCreated(c.kube, { ...ref, version: VERSIONS[0], replicas: 2, ...appTemplate('blog'), deployId: 'd-1' });
    expect(created.name).toBe('blog-blue');
    const progress: string[] = [];
    const ready = await waitForColourReady(c.kube, ref, { timeoutMs, onProgress: (r) => progress.push(`${r.ready}/${r.replicas}`) });
    expect(ready).toMatchObject({ settled: true, ready: 2, replicas: 2, version: VERSIONS[0] });
    expect(ready.observedGeneration).toBeGreaterThanOrEqual(ready.generation);
    expect(progress.at(-1)).toBe('2/2');
    expect(new Set(progress).size).toBe(progress.length);
    // Resuming a deploy that already created it is fine; the same name at another version is not.
    await expect(ensureColourCreated(c.kube, { ...ref, version: VERSIONS[0], replicas: 2, ...appTemplate('blog') })).resolves.toMatchObject({ version: VERSIONS[0] });
    await expect(ensureColourCreated(c.kube, { ...ref, version: VERSIONS[1], replicas: 2, ...appTemplate('blog') })).rejects.toMatchObject({ code: 'kube-conflict' });
  });

  it('mirrors the live colour: same pod template and replicas, colour labels and selector switched, image tag set to the version', async () => {
    const colours = await readColours(c.kube, 'blog', c.namespace);
    expect(colours.green).toBeNull();
    const live = colours.blue!;
    expect(live.replicas).toBe(2);
    const green = await ensureColourCreated(c.kube, {
      app: 'blog', namespace: c.namespace, colour: 'green', version: VERSIONS[1], replicas: live.replicas, ...mirrorOf(live.replicaSet), deployId: 'd-2',
    });
    const rs = green.replicaSet;
    expect(rs.metadata?.labels).toMatchObject({ name: 'blog-green', app: 'blog', team: 'web', 'switchyard/colour': 'green', 'switchyard/version': VERSIONS[1] });
    expect(rs.metadata?.annotations).toMatchObject({ 'switchyard/version': VERSIONS[1], 'switchyard/deploy-id': 'd-2' });
    expect(rs.spec?.selector?.matchLabels).toEqual({ name: 'blog-green' });
    expect(rs.spec?.replicas).toBe(2);
    expect(rs.spec?.template?.metadata?.labels).toEqual({ app: 'blog', tier: 'frontend', name: 'blog-green', 'switchyard/colour': 'green', 'switchyard/version': VERSIONS[1] });
    expect(rs.spec?.template?.spec?.containers?.map((x) => x.image)).toEqual([`${IMAGE}:${VERSIONS[1]}`, `${IMAGE}:3.9`]);
    await waitForColourReady(c.kube, { app: 'blog', namespace: c.namespace, colour: 'green' }, { timeoutMs });
    const both = await readColours(c.kube, 'blog', c.namespace);
    expect([both.blue?.name, both.green?.name]).toEqual(['blog-blue', 'blog-green']);
    expect(both.green).toMatchObject({ version: VERSIONS[1], readyReplicas: 2, deleting: false });
  });

  it('retires a colour: the ReplicaSet and its pods are gone when it returns, and again is a no-op', async () => {
    const ref = { app: 'blog', namespace: c.namespace, colour: 'blue' as const };
    const gone = await ensureColourRetired(c.kube, ref, { timeoutMs });
    expect(gone).toMatchObject({ exists: false, pods: 0 });
    expect((await c.kube.core.listNamespacedPod({ namespace: c.namespace, labelSelector: 'name=blog-blue' })).items).toEqual([]);
    await expect(ensureColourRetired(c.kube, ref, { timeoutMs })).resolves.toMatchObject({ exists: false });
    const after = await readColours(c.kube, 'blog', c.namespace);
    expect(after.blue).toBeNull();
    expect(after.green).toMatchObject({ name: 'blog-green', version: VERSIONS[1] });
  });

  it('reports a scale-up as not settled until the new pods are Ready at the new generation', async () => {
    const ref = { app: 'blog', namespace: c.namespace, colour: 'green' as const };
    await c.kube.apps.patchNamespacedReplicaSet({ name: 'blog-green', namespace: c.namespace, body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] });
    const now = await readColourReadiness(c.kube, ref);
    expect(now.replicas).toBe(3);
    expect(now.settled).toBe(false);
    await expect(waitForColourReady(c.kube, ref, { timeoutMs })).resolves.toMatchObject({ ready: 3, settled: true });
  });

  it('is cancelled through its AbortSignal', async () => {
    const ref = { app: 'never', namespace: c.namespace, colour: 'blue' as const };
    await ensureColourCreated(c.kube, { ...ref, version: 'no-such-tag-for-switchyard', replicas: 1, ...appTemplate('never') });
    const abort = new AbortController();
    const waiting = waitForColourReady(c.kube, ref, { timeoutMs, signal: abort.signal, onProgress: () => abort.abort() });
    await expect(waiting).rejects.toMatchObject({ code: 'deploy-aborted' });
    await ensureColourRetired(c.kube, ref, { timeoutMs });
  });

  it('ends with the error a progress callback throws, rather than waiting until the timeout', async () => {
    const ref = { app: 'blog', namespace: c.namespace, colour: 'green' as const };
    const broken = new Error('progress printer broke');
    await expect(waitForColourReady(c.kube, ref, { timeoutMs, onProgress: () => { throw broken; } })).rejects.toBe(broken);
  });

  it('fails at once when the ReplicaSet does not exist', async () => {
    const err = await waitForColourReady(c.kube, { app: 'ghost', namespace: c.namespace, colour: 'blue' }, { timeoutMs }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ code: 'kube-not-found' });
    expect(String((err as Error).message)).toContain('ghost-blue');
  });

  it.skipIf(REAL)('served every request it was sent', () => {
    expect(c.standIn!.unserved).toEqual([]);
  });
});

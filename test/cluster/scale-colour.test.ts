import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readColourReadiness } from '../../src/cluster/colour-readiness.js';
import { ensureColourCreated } from '../../src/cluster/create-colour.js';
import { readColours } from '../../src/cluster/read-colours.js';
import { scaleColour } from '../../src/cluster/scale-colour.js';
import { waitForColourReady } from '../../src/cluster/wait-for-colour-ready.js';
import { appTemplate, REAL, startClusterUnderTest, VERSIONS, type ClusterUnderTest } from './cluster-under-test.js';

const timeoutMs = REAL ? 180_000 : 10_000;

/** Waits until the colour's pods (those not terminating) number `pods`. */
async function untilPods(c: ClusterUnderTest, pods: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await c.kube.core.listNamespacedPod({ namespace: c.namespace, labelSelector: 'name=blog-green' });
    if (list.items.filter((p) => !p.metadata?.deletionTimestamp).length === pods) return;
    if (Date.now() > deadline) throw new Error(`blog-green never settled at ${pods} pods`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('scaleColour: the kept colour of a gate roll back, through the scale subresource', () => {
  let c: ClusterUnderTest;
  const ref = () => ({ app: 'blog', namespace: c.namespace, colour: 'green' as const });
  beforeAll(async () => {
    c = await startClusterUnderTest();
    await ensureColourCreated(c.kube, { ...ref(), version: VERSIONS[1], replicas: 3, ...appTemplate('blog') });
    await waitForColourReady(c.kube, ref(), { timeoutMs });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('sets only the desired replicas: the template, labels and version stay, and the pods follow down to none', async () => {
    const before = (await readColours(c.kube, 'blog', c.namespace)).green!;
    const requests = c.standIn?.requests;
    if (requests) requests.length = 0;
    await scaleColour(c.kube, ref(), 1);
    const after = (await readColours(c.kube, 'blog', c.namespace)).green!;
    expect(after.replicas).toBe(1);
    expect(after.version).toBe(before.version);
    expect(after.replicaSet.spec?.template).toEqual(before.replicaSet.spec?.template);
    expect(after.replicaSet.metadata?.labels).toEqual(before.replicaSet.metadata?.labels);
    await untilPods(c, 1);
    expect(await waitForColourReady(c.kube, ref(), { timeoutMs })).toMatchObject({ ready: 1, replicas: 1 });
    // What reached the API: one update of the Scale, nothing on the ReplicaSet itself.
    if (requests) expect(requests.map((r) => `${r.verb} ${r.resource}/${r.subresource}`)).toContain('update replicasets/scale');
    if (requests) expect(requests.filter((r) => r.resource === 'replicasets' && r.subresource === undefined && r.verb !== 'list' && r.verb !== 'get' && r.verb !== 'watch')).toEqual([]);

    await scaleColour(c.kube, ref(), 0);
    await untilPods(c, 0);
    expect((await readColourReadiness(c.kube, ref())).exists).toBe(true);
  });

  it('a colour that is already gone is fine', async () => {
    await expect(scaleColour(c.kube, { ...ref(), colour: 'blue' }, 1)).resolves.toBeUndefined();
  });

  it('names the ReplicaSet and the API\'s answer when the API refuses', async () => {
    await expect(scaleColour(c.kube, ref(), -1)).rejects.toMatchObject({ code: expect.any(String), message: expect.stringMatching(new RegExp(`cannot scale ReplicaSet ${c.namespace}/blog-green: .*422`)) });
  });
});

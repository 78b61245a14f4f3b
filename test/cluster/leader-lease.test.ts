import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADER_LEASE, LeaderLease } from '../../src/cluster/leader-lease.js';
import { startClusterUnderTest, type ClusterUnderTest } from './cluster-under-test.js';

/** A wall clock `skewMs` off and a monotonic one the test moves by hand. */
const clocks = (skewMs = 0) => {
  const c = { mono: 0, now: () => new Date(Date.parse('2026-03-01T10:00:00Z') + skewMs + c.mono), monotonicMs: () => c.mono };
  return c;
};

describe('the leadership lease (one leader among serve agents)', () => {
  let c: ClusterUnderTest;
  beforeAll(async () => {
    c = await startClusterUnderTest();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('is taken over only once the follower has itself seen it unrenewed for its whole duration, whatever the clocks say', async () => {
    // b's wall clock is an hour ahead: every renewTime a writes looks an hour old to it, and must not matter.
    const ta = clocks();
    const tb = clocks(3_600_000);
    const a = new LeaderLease(c.kube, { identity: 'agent-a', instance: 'p1', namespace: c.namespace, durationSeconds: 10, ...ta });
    const b = new LeaderLease(c.kube, { identity: 'agent-b', instance: 'p1', namespace: c.namespace, durationSeconds: 10, ...tb });
    expect(await a.claim()).toEqual({ leading: true });
    expect(await b.claim()).toEqual({ leading: false, leader: { identity: 'agent-a', instance: 'p1' }, expiresInSeconds: 10 });

    ta.mono += 9_000;
    tb.mono += 9_000;
    expect(await a.claim()).toEqual({ leading: true }); // a renewal
    expect(await b.claim()).toMatchObject({ leading: false, expiresInSeconds: 10 }); // b looks again (every poll) and sees it renewed
    tb.mono += 9_000; // 18 s since b first saw it, but only 9 s since it saw it renewed
    expect(await b.claim()).toEqual({ leading: false, leader: { identity: 'agent-a', instance: 'p1' }, expiresInSeconds: 1 });
    tb.mono += 1_000; // a stopped renewing: seen unchanged for the whole duration
    expect(await b.claim()).toEqual({ leading: true });

    // a wakes up: the lease is b's, and a is told so rather than taking it back.
    ta.mono += 60_000;
    expect(await a.claim()).toEqual({ leading: false, leader: { identity: 'agent-b', instance: 'p1' }, expiresInSeconds: 10 });
    const lease = await c.kube.coordination.readNamespacedLease({ name: LEADER_LEASE, namespace: c.namespace });
    expect(lease.spec).toMatchObject({ holderIdentity: 'agent-b/p1', leaseTransitions: 2, leaseDurationSeconds: 10 });
  });

  it('is held by one process: another with the same identity follows it; released, it is taken at once', async () => {
    const namespace = c.namespace;
    await c.kube.coordination.deleteNamespacedLease({ name: LEADER_LEASE, namespace });
    const first = new LeaderLease(c.kube, { identity: 'switchyard', instance: 'one', namespace, durationSeconds: 30 });
    const second = new LeaderLease(c.kube, { identity: 'switchyard', instance: 'two', namespace, durationSeconds: 30 });
    const claims = await Promise.all([first.claim(), second.claim()]);
    expect(claims.filter((r) => r.leading)).toHaveLength(1);
    const [leader, follower] = claims[0]!.leading ? [first, second] : [second, first];
    expect(await follower.claim()).toMatchObject({ leading: false, leader: { identity: 'switchyard', instance: leader === first ? 'one' : 'two' } });

    await follower.release(); // not its to give: nothing changes
    expect(await follower.claim()).toMatchObject({ leading: false });
    await leader.release();
    expect(await follower.claim()).toEqual({ leading: true });
    expect(await leader.claim()).toMatchObject({ leading: false });
  });
});

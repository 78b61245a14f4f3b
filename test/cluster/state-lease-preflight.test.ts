import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppLease } from '../../src/cluster/app-lease.js';
import { AppStateStore } from '../../src/cluster/app-state-store.js';
import { preflightServices } from '../../src/cluster/preflight-services.js';
import { ensureColourCreated } from '../../src/cluster/create-colour.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { HISTORY_LIMIT, type DeployRecord } from '../../src/state/app-state.js';
import { appTemplate, createColourServices, REAL, startClusterUnderTest, type ClusterUnderTest } from './cluster-under-test.js';

const record = (id: string): DeployRecord => ({
  id, app: 'blog', kind: 'deploy', version: '1.0', fromColour: 'blue', fromVersion: '0.9', toColour: 'green', phase: 'done',
  requestedBy: { via: 'cli', id: 'alice' }, requestedAt: '2026-01-01T00:00:00Z', skipVerify: false, transitions: [],
});

describe('state, lease and preflight', () => {
  let c: ClusterUnderTest;
  beforeAll(async () => {
    c = await startClusterUnderTest();
  });
  afterAll(async () => {
    await c?.close();
  });

  describe('state record in a ConfigMap', () => {
    it('starts empty, then keeps what was written', async () => {
      const states = new AppStateStore(c.kube);
      expect(await states.readAppState('blog', c.namespace)).toEqual({ app: 'blog', live: null, previous: null, inFlight: null, history: [] });
      const written = await states.updateAppState('blog', c.namespace, (s) => ({ ...s, live: { colour: 'blue', version: '0.9' } }));
      expect(await states.readAppState('blog', c.namespace)).toEqual(written);
      const cm = await c.kube.core.readNamespacedConfigMap({ name: 'switchyard-blog', namespace: c.namespace });
      expect(JSON.parse(cm.data!['state.json']!)).toMatchObject({ live: { colour: 'blue', version: '0.9' } });
    });

    it('loses no update when agents write at the same time (compare-and-swap, retried on 409)', async () => {
      const states = new AppStateStore(c.kube, { sleep: () => Promise.resolve() });
      await Promise.all(Array.from({ length: 6 }, (_, i) => states.updateAppState('blog', c.namespace, (s) => ({ ...s, history: [record(`d-${i}`), ...s.history] }))));
      const ids = (await states.readAppState('blog', c.namespace)).history.map((h) => h.id).sort();
      expect(ids).toEqual(['d-0', 'd-1', 'd-2', 'd-3', 'd-4', 'd-5']);
    });

    it.skipIf(REAL)('retries a write the API answers with 409, and gives up with a clear error when it never stops', async () => {
      const states = new AppStateStore(c.kube, { sleep: () => Promise.resolve(), maxAttempts: 4 });
      c.standIn!.faults.add({ verb: 'update', resource: 'configmaps', status: 409, times: 2 });
      await states.updateAppState('blog', c.namespace, (s) => ({ ...s, history: [record('after-409'), ...s.history] }));
      expect(c.standIn!.faults.pending).toBe(0);
      expect((await states.readAppState('blog', c.namespace)).history[0]!.id).toBe('after-409');
      c.standIn!.faults.add({ verb: 'update', resource: 'configmaps', status: 409, times: 4 });
      await expect(states.updateAppState('blog', c.namespace, (s) => ({ ...s, previous: null }))).rejects.toMatchObject({ code: 'kube-conflict', message: expect.stringContaining('still conflicting after 4 attempts') });
    });

    it(`keeps at most ${HISTORY_LIMIT} deploys of history, newest first`, async () => {
      const states = new AppStateStore(c.kube);
      const many = Array.from({ length: HISTORY_LIMIT + 5 }, (_, i) => record(`h-${i}`));
      const next = await states.updateAppState('blog', c.namespace, (s) => ({ ...s, history: many }));
      expect(next.history).toHaveLength(HISTORY_LIMIT);
      expect((await states.readAppState('blog', c.namespace)).history[0]!.id).toBe('h-0');
    });

    it.skipIf(REAL)('wraps an API failure into an error naming the ConfigMap, without the response body', async () => {
      c.standIn!.faults.add({ verb: 'get', resource: 'configmaps', status: 500 });
      const err = (await new AppStateStore(c.kube).readAppState('blog', c.namespace).catch((e: unknown) => e)) as SwitchyardError;
      expect(err).toBeInstanceOf(SwitchyardError);
      expect(err.code).toBe('kube-api-failed');
      expect(err.message).toBe(`cannot read state ConfigMap ${c.namespace}/switchyard-blog: the Kubernetes API answered 500 InternalError: Internal error occurred: injected fault on get configmaps "switchyard-blog"`);
      expect(err.message).not.toMatch(/Body:|Headers:|"kind"/);
    });
  });

  describe('fencing of state writes', () => {
    it('refuses a write under a lower lock fence than the state was written under, and changes nothing', async () => {
      const states = new AppStateStore(c.kube);
      await states.updateAppState('fenced', c.namespace, (s) => ({ ...s, live: { colour: 'blue', version: '1.0' } }), { fence: 2 });
      const cm = () => c.kube.core.readNamespacedConfigMap({ name: 'switchyard-fenced', namespace: c.namespace });
      expect((await cm()).metadata?.annotations).toMatchObject({ 'switchyard/fence': '2' });
      const before = (await cm()).metadata?.resourceVersion;

      const refused = states.updateAppState('fenced', c.namespace, (s) => ({ ...s, live: { colour: 'green', version: '2.0' } }), { fence: 1 });
      await expect(refused).rejects.toMatchObject({
        code: 'lock-held',
        message: 'refused a write to the state of fenced: it was made under lock token 1, but the lock has been taken over since (the state was written under token 2)',
      });
      expect((await cm()).metadata?.resourceVersion).toBe(before);
      expect((await states.readAppState('fenced', c.namespace)).live).toEqual({ colour: 'blue', version: '1.0' });
    });

    it('lets unfenced writes (intents) through, keeps the fence, and records a higher one even when nothing else changes', async () => {
      const states = new AppStateStore(c.kube);
      await states.updateAppState('claimed', c.namespace, (s) => ({ ...s, live: { colour: 'blue', version: '1.0' } }), { fence: 3 });
      await states.updateAppState('claimed', c.namespace, (s) => ({ ...s, previous: null, live: { colour: 'blue', version: '1.1' } }));
      expect(await states.readFence('claimed', c.namespace)).toBe(3);

      const rv = async () => (await c.kube.core.readNamespacedConfigMap({ name: 'switchyard-claimed', namespace: c.namespace })).metadata?.resourceVersion;
      const untouched = await rv();
      await states.updateAppState('claimed', c.namespace, (s) => s);
      await states.updateAppState('claimed', c.namespace, (s) => s, { fence: 3 });
      expect(await rv()).toBe(untouched);

      const claimed = await states.updateAppState('claimed', c.namespace, (s) => s, { fence: 4 });
      expect(await rv()).not.toBe(untouched);
      expect(await states.readFence('claimed', c.namespace)).toBe(4);
      expect(claimed).toEqual(await states.readAppState('claimed', c.namespace));
      expect(claimed.live).toEqual({ colour: 'blue', version: '1.1' });
    });
  });

  describe('lease per app', () => {
    /** Two clocks: the wall time an agent writes into the lease (skewed at will) and the monotonic one it times expiry with. */
    const clocks = (skewMs = 0) => {
      const c = { mono: 0, now: () => new Date(Date.parse('2026-03-01T10:00:00Z') + skewMs + c.mono), monotonicMs: () => c.mono };
      return c;
    };

    it('lets exactly one of two agents take the lock; the other is told who holds it and for which deploy', async () => {
      const a = new AppLease(c.kube, { identity: 'agent-a', instance: 'p1', durationSeconds: 30 });
      const b = new AppLease(c.kube, { identity: 'agent-b', instance: 'p1', durationSeconds: 30 });
      const results = await Promise.allSettled([a.acquire('www', c.namespace, 'deploy-a'), b.acquire('www', c.namespace, 'deploy-b')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = results[0]!.status === 'fulfilled' ? 'a' : 'b';
      expect(lost[0]!.reason).toMatchObject({ code: 'lock-held', message: `www is locked by agent-${winner} (process p1) running deploy deploy-${winner}` });
      const holder = await b.readHolder('www', c.namespace);
      expect(holder).toMatchObject({ identity: `agent-${winner}`, instance: 'p1', deployId: `deploy-${winner}`, expired: false, durationSeconds: 30 });
      // Released, it can be taken by the other agent at once, under a new fence.
      const first = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<AppLease['acquire']>>>).value;
      await (winner === 'a' ? a : b).release(first);
      const other = winner === 'a' ? b : a;
      await expect(other.acquire('www', c.namespace, 'deploy-next')).resolves.toMatchObject({ deployId: 'deploy-next', fence: first.fence + 1 });
    });

    it('is held by one process: another with the same identity is refused even for the same deploy; the holder itself may take it again', async () => {
      const serve = new AppLease(c.kube, { identity: 'switchyard-1', instance: 'serve', durationSeconds: 30 });
      const promote = new AppLease(c.kube, { identity: 'switchyard-1', instance: 'promote', durationSeconds: 30 });
      const held = await serve.acquire('shop', c.namespace, 'deploy-1');
      await expect(promote.acquire('shop', c.namespace, 'deploy-1')).rejects.toMatchObject({
        code: 'lock-held',
        message: 'shop is locked by switchyard-1 (process serve) running deploy deploy-1',
      });
      await expect(serve.acquire('shop', c.namespace, 'deploy-1')).resolves.toMatchObject({ deployId: 'deploy-1', fence: held.fence });
      await expect(serve.acquire('shop', c.namespace, 'deploy-2')).rejects.toMatchObject({ code: 'lock-held', message: 'shop is locked by switchyard-1 (process serve) running deploy deploy-1' });
      await expect(serve.renew(held)).resolves.toMatchObject({ deployId: 'deploy-1', fence: held.fence });
      const lease = await c.kube.coordination.readNamespacedLease({ name: 'switchyard-shop-lock', namespace: c.namespace });
      expect(lease.spec?.holderIdentity).toBe('switchyard-1/serve');
    });

    it('times expiry from when it saw the lease change, so a clock ahead by more than the lease cannot take a live one', async () => {
      const ta = clocks();
      const tb = clocks(3_600_000); // an hour ahead: every renewTime agent-a writes looks an hour old to it
      const a = new AppLease(c.kube, { identity: 'agent-a', durationSeconds: 10, ...ta });
      const b = new AppLease(c.kube, { identity: 'agent-b', durationSeconds: 10, ...tb });
      const held = await a.acquire('api', c.namespace, 'deploy-1');
      await expect(b.acquire('api', c.namespace, 'deploy-2')).rejects.toMatchObject({ code: 'lock-held', details: { expiresInSeconds: 10 } });
      tb.mono += 9_000;
      ta.mono += 9_000;
      const renewed = await a.renew(held);
      await b.readHolder('api', c.namespace); // b looks again (as a resuming agent does every half lease) and sees it renewed
      tb.mono += 9_000; // 18 s since b first saw it, but only 9 s since it saw it renewed
      await expect(b.acquire('api', c.namespace, 'deploy-2')).rejects.toMatchObject({ code: 'lock-held', hint: expect.stringContaining('taken over in 1 s') });
      tb.mono += 1_000; // seen unchanged for its whole duration: a stopped renewing
      expect(await b.readHolder('api', c.namespace)).toMatchObject({ identity: 'agent-a', expired: true, expiresInSeconds: 0 });
      const taken = await b.acquire('api', c.namespace, 'deploy-2');
      expect(taken.fence).toBe(held.fence + 1);
      await expect(a.renew(renewed)).rejects.toMatchObject({ code: 'lock-held', message: expect.stringMatching(/^api is locked by agent-b \(process [0-9a-f]{8}\) running deploy deploy-2$/) });
      const lease = await c.kube.coordination.readNamespacedLease({ name: 'switchyard-api-lock', namespace: c.namespace });
      expect(lease.spec).toMatchObject({ leaseDurationSeconds: 10, leaseTransitions: taken.fence });
      expect(lease.spec?.holderIdentity).toMatch(/^agent-b\/[0-9a-f]{8}$/);
    });

    it('tells a holder that missed its renewals as looking dead, and when its lease expires by this agent\'s clock', async () => {
      const ta = clocks();
      const tb = clocks();
      const a = new AppLease(c.kube, { identity: 'agent-a', instance: 'p1', durationSeconds: 30, ...ta });
      const b = new AppLease(c.kube, { identity: 'agent-b', durationSeconds: 30, ...tb });
      await a.acquire('shelf', c.namespace, 'deploy-1');
      tb.mono += 10_000; // a renews every 10 s: one renewal just due is no sign of anything
      expect(await b.readHolder('shelf', c.namespace)).toMatchObject({ identity: 'agent-a', looksDead: false, expired: false });
      tb.mono += 6_000; // 16 s without a renewal: more than half the lease
      await expect(b.acquire('shelf', c.namespace, 'deploy-2')).rejects.toMatchObject({
        code: 'lock-held',
        details: { looksDead: true, renewedAt: '2026-03-01T10:00:00.000Z', expiresAt: '2026-03-01T10:00:40.000Z', expiresInSeconds: 24 },
      });
    });

    it('keeps a holder whose clock runs behind by more than the lease while it renews', async () => {
      const ta = clocks(-7_200_000);
      const tb = clocks();
      const a = new AppLease(c.kube, { identity: 'agent-a', durationSeconds: 10, ...ta });
      const b = new AppLease(c.kube, { identity: 'agent-b', durationSeconds: 10, ...tb });
      let held = await a.acquire('late', c.namespace, 'deploy-1');
      for (let i = 0; i < 5; i++) {
        ta.mono += 4_000;
        tb.mono += 4_000;
        await expect(b.acquire('late', c.namespace, 'deploy-2')).rejects.toMatchObject({ code: 'lock-held' });
        held = await a.renew(held);
      }
      expect(await b.readHolder('late', c.namespace)).toMatchObject({ identity: 'agent-a', expired: false, renewedAt: ta.now() });
    });

    it('raises the fence for every new holder, and a lease made anew starts above the fence the state was written under', async () => {
      const states = new AppStateStore(c.kube);
      const fenceFloor = (app: string, namespace: string) => states.readFence(app, namespace);
      const a = new AppLease(c.kube, { identity: 'agent-a', durationSeconds: 30, fenceFloor });
      const b = new AppLease(c.kube, { identity: 'agent-b', durationSeconds: 30, fenceFloor });
      const first = await a.acquire('cart', c.namespace, 'deploy-1');
      expect(first.fence).toBe(1);
      await states.updateAppState('cart', c.namespace, (s) => ({ ...s, live: { colour: 'blue', version: '1' } }), { fence: first.fence });
      await a.release(first);
      const second = await b.acquire('cart', c.namespace, 'deploy-2');
      expect(second.fence).toBe(2);
      expect((await b.renew(second)).fence).toBe(2);
      await states.updateAppState('cart', c.namespace, (s) => s, { fence: second.fence });

      await c.kube.coordination.deleteNamespacedLease({ name: 'switchyard-cart-lock', namespace: c.namespace });
      const anew = await a.acquire('cart', c.namespace, 'deploy-3');
      expect(anew.fence).toBe(3);
      // agent-b, which held the lease before it was deleted, can no longer write.
      await expect(states.updateAppState('cart', c.namespace, (s) => s, { fence: anew.fence })).resolves.toBeDefined();
      await expect(states.updateAppState('cart', c.namespace, (s) => ({ ...s, live: null }), { fence: second.fence })).rejects.toMatchObject({ code: 'lock-held' });
    });

    it('tells a holder renewing a lease that was deleted that it lost it', async () => {
      const a = new AppLease(c.kube, { identity: 'agent-a', durationSeconds: 9 });
      const held = await a.renew(await a.acquire('renewed', c.namespace, 'deploy-r'));
      expect((await a.readHolder('renewed', c.namespace))?.expired).toBe(false);
      await c.kube.coordination.deleteNamespacedLease({ name: 'switchyard-renewed-lock', namespace: c.namespace });
      await expect(a.renew(held)).rejects.toMatchObject({ code: 'lock-held', message: `the lock of renewed in ${c.namespace} was removed while deploy deploy-r held it` });
    });
  });

  describe('preflight', () => {
    it('names every missing or wrong Service in one error', async () => {
      const app = { name: 'shop', namespace: c.namespace, portBase: 31500 };
      const err = (await preflightServices(c.kube, app).catch((e: unknown) => e)) as SwitchyardError;
      expect(err.code).toBe('kube-preflight-failed');
      expect(err.message).toContain(`Service ${c.namespace}/shop-blue is missing`);
      expect(err.message).toContain(`Service ${c.namespace}/shop-green is missing`);
      await c.kube.core.createNamespacedService({ namespace: c.namespace, body: { metadata: { name: 'shop-blue' }, spec: { type: 'NodePort', selector: { name: 'shop-green' }, ports: [{ port: 80, nodePort: 31502 }] } } });
      await c.kube.core.createNamespacedService({ namespace: c.namespace, body: { metadata: { name: 'shop-green' }, spec: { type: 'ClusterIP', selector: { name: 'shop-green', tier: 'x' }, ports: [{ port: 80 }] } } });
      const again = ((await preflightServices(c.kube, app).catch((e: unknown) => e)) as SwitchyardError).message;
      expect(again).toContain(`shop-blue has nodePort 31502, expected 31500`);
      expect(again).toContain(`shop-blue selects name=shop-green, expected name=shop-blue`);
      expect(again).toContain(`shop-green is of type ClusterIP, not NodePort`);
      expect(again).toContain(`shop-green also selects tier=x`);
    });

    it('passes for the conventional Services, and names a missing namespace', async () => {
      await createColourServices(c.kube, c.namespace, 'blog', 31000);
      await expect(preflightServices(c.kube, { name: 'blog', namespace: c.namespace, portBase: 31000 })).resolves.toBeUndefined();
      await expect(preflightServices(c.kube, { name: 'blog', namespace: 'no-such-namespace', portBase: 31000 })).rejects.toMatchObject({
        code: 'kube-preflight-failed', message: 'namespace no-such-namespace of app blog does not exist',
      });
    });
  });

  it.skipIf(REAL)('wraps a 500 on create into kube-api-failed naming the ReplicaSet', async () => {
    c.standIn!.faults.add({ verb: 'create', resource: 'replicasets', status: 500 });
    await expect(ensureColourCreated(c.kube, { app: 'blog', namespace: c.namespace, colour: 'green', version: '3.9', replicas: 1, ...appTemplate('blog') })).rejects.toMatchObject({
      code: 'kube-api-failed', message: expect.stringMatching(new RegExp(`^cannot create ReplicaSet ${c.namespace}/blog-green: the Kubernetes API answered 500 InternalError`)),
    });
  });

  it.skipIf(REAL)('served every request it was sent', () => {
    expect(c.standIn!.unserved).toEqual([]);
  });
});

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
      await expect(states.updateAppState('blog', c.namespace, (s) => s)).rejects.toMatchObject({ code: 'kube-conflict', message: expect.stringContaining('still conflicting after 4 attempts') });
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

  describe('lease per app', () => {
    it('lets exactly one of two agents take the lock; the other is told who holds it and for which deploy', async () => {
      const a = new AppLease(c.kube, { identity: 'agent-a', durationSeconds: 30 });
      const b = new AppLease(c.kube, { identity: 'agent-b', durationSeconds: 30 });
      const results = await Promise.allSettled([a.acquire('www', c.namespace, 'deploy-a'), b.acquire('www', c.namespace, 'deploy-b')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = results[0]!.status === 'fulfilled' ? 'a' : 'b';
      expect(lost[0]!.reason).toMatchObject({ code: 'lock-held', message: `www is locked by agent-${winner} running deploy deploy-${winner}` });
      const holder = await b.readHolder('www', c.namespace);
      expect(holder).toMatchObject({ identity: `agent-${winner}`, deployId: `deploy-${winner}`, expired: false, durationSeconds: 30 });
      // Released, it can be taken by the other agent.
      await (winner === 'a' ? a : b).release((won[0] as PromiseFulfilledResult<Awaited<ReturnType<AppLease['acquire']>>>).value);
      const other = winner === 'a' ? b : a;
      await expect(other.acquire('www', c.namespace, 'deploy-next')).resolves.toMatchObject({ deployId: 'deploy-next' });
    });

    it('lets an agent take its own lease again for the same deploy (a restart), but not for a second deploy', async () => {
      const a = new AppLease(c.kube, { identity: 'agent-a', durationSeconds: 30 });
      const first = await a.acquire('shop', c.namespace, 'deploy-1');
      await expect(a.acquire('shop', c.namespace, 'deploy-1')).resolves.toMatchObject({ deployId: 'deploy-1' });
      await expect(a.acquire('shop', c.namespace, 'deploy-2')).rejects.toMatchObject({ code: 'lock-held', message: 'shop is locked by agent-a running deploy deploy-1' });
      await expect(a.renew(first)).resolves.toMatchObject({ deployId: 'deploy-1' });
    });

    it('lets an expired lease be taken over, and the old holder learns it lost it when renewing', async () => {
      let now = Date.parse('2026-03-01T10:00:00Z');
      const clock = () => new Date(now);
      const a = new AppLease(c.kube, { identity: 'agent-a', durationSeconds: 10, now: clock });
      const b = new AppLease(c.kube, { identity: 'agent-b', durationSeconds: 10, now: clock });
      const held = await a.acquire('api', c.namespace, 'deploy-1');
      await expect(b.acquire('api', c.namespace, 'deploy-2')).rejects.toMatchObject({ code: 'lock-held' });
      now += 5_000;
      const renewed = await a.renew(held);
      now += 9_000; // renewed 9 s ago: still held
      await expect(b.acquire('api', c.namespace, 'deploy-2')).rejects.toMatchObject({ code: 'lock-held', hint: expect.stringContaining('expires 1 s after') });
      now += 2_000; // 11 s without renewal: expired
      expect(await b.readHolder('api', c.namespace)).toMatchObject({ identity: 'agent-a', expired: true });
      await expect(b.acquire('api', c.namespace, 'deploy-2')).resolves.toMatchObject({ deployId: 'deploy-2' });
      await expect(a.renew(renewed)).rejects.toMatchObject({ code: 'lock-held', message: 'api is locked by agent-b running deploy deploy-2' });
      const lease = await c.kube.coordination.readNamespacedLease({ name: 'switchyard-api-lock', namespace: c.namespace });
      expect(lease.spec).toMatchObject({ holderIdentity: 'agent-b', leaseDurationSeconds: 10, leaseTransitions: 1 });
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

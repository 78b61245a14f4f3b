import { describe, expect, it } from 'vitest';
import type { DeploySnapshot } from '../../src/deploy/deploy-feed.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import type { Actor } from '../../src/state/app-state.js';
import { alice, bob } from './fixtures.js';
import { world } from './fake-ports.js';

const ci: Actor = { via: 'ci', id: 'ci', name: 'github-actions' };

async function refusal(p: Promise<unknown>): Promise<SwitchyardError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SwitchyardError);
  return err as SwitchyardError;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('DeployService: what a server needs', () => {
  it('holds a CI deploy in pending, creating nothing, until someone starts it', async () => {
    const w = world();
    const { record, done } = await w.service.deploy('blog', 'v2', { by: ci, hold: true, commit: 'abc1234' });
    expect(record).toMatchObject({ phase: 'pending', hold: true, commit: 'abc1234' });
    await w.clock.sleep(60_000);
    expect((await w.state.read('blog')).inFlight?.phase).toBe('pending');
    expect(w.cluster.colours.green).toBeNull();
    expect(await refusal(w.service.promote('blog', alice))).toMatchObject({ code: 'wrong-phase', message: 'cannot promote blog-1 of blog: it waits for a Start first' });
    const started = await w.service.startHeld('blog', alice);
    expect(started.startedBy).toEqual(alice);
    await new Promise<void>((resolve) => w.when('verifying', resolve));
    // A second click on Start is the same request, answered with the record as it is.
    expect(await w.service.startHeld('blog', bob)).toMatchObject({ phase: 'verifying', startedBy: alice });
    await w.service.promote('blog', bob);
    expect((await done).record).toMatchObject({ phase: 'done', startedBy: alice, promotedBy: bob });
    expect(w.events.filter((e) => e.type === 'requested' || e.type === 'intent').map((e) => e.type === 'intent' ? `${e.verb} ${e.by.id} ${e.phase}` : `${e.type} hold=${e.type === 'requested' && e.hold}`)).toEqual([
      'requested hold=true',
      'start U01ALICE pending',
      'promote bob verifying',
    ]);
  });

  it('refuses a start of a deploy that was never held', async () => {
    const w = world();
    const { done } = await w.service.deploy('blog', 'v2', { by: alice });
    await new Promise<void>((resolve) => w.when('verifying', resolve));
    expect(await refusal(w.service.startHeld('blog', bob))).toMatchObject({ code: 'wrong-phase', message: 'cannot start blog-1 of blog: it is not waiting for a start (it is verifying)' });
    await w.service.abort('blog', bob);
    await done;
  });

  it('rejects a held deploy with an abort: nothing was created, nothing is removed', async () => {
    const w = world();
    const { done } = await w.service.deploy('blog', 'v2', { by: ci, hold: true });
    await settle();
    await w.service.abort('blog', alice);
    expect((await done).record).toMatchObject({ phase: 'aborted', abortedBy: alice });
    expect(w.journal.filter((j) => j.startsWith('create') || j.startsWith('delete'))).toEqual([]);
  });

  it('answers a retried request with the same Idempotency-Key with the same deploy, and refuses the key for another version', async () => {
    const w = world();
    const first = await w.service.deploy('blog', 'v2', { by: ci, idempotencyKey: 'run-42' });
    const again = await w.service.deploy('blog', 'v2', { by: ci, idempotencyKey: 'run-42' });
    expect(again).toMatchObject({ replayed: true, record: { id: first.record.id } });
    expect(await refusal(w.service.deploy('blog', 'v3', { by: ci, idempotencyKey: 'run-42' }))).toMatchObject({ code: 'idempotency-conflict' });
    // Another requester's key is theirs alone: this one is refused as a second deploy.
    expect(await refusal(w.service.deploy('blog', 'v2', { by: { via: 'ci', id: 'other' }, idempotencyKey: 'run-42' }))).toMatchObject({ code: 'lock-held' });
    await w.service.promote('blog', bob);
    await first.done;
    const later = await w.service.deploy('blog', 'v2', { by: ci, idempotencyKey: 'run-42' });
    expect(later).toMatchObject({ replayed: true, record: { id: first.record.id, phase: 'done' } });
    expect((await later.done).outcome).toBe('finished');
  });

  it('takes two tries of one request at once as one deploy', async () => {
    const w = world();
    const [a, b] = await Promise.all([
      w.service.deploy('blog', 'v2', { by: ci, idempotencyKey: 'k' }),
      w.service.deploy('blog', 'v2', { by: ci, idempotencyKey: 'k' }),
    ]);
    expect(a.record.id).toBe(b.record.id);
    expect([a.replayed, b.replayed].filter(Boolean)).toHaveLength(1);
    await w.service.abort('blog', bob);
    await a.done;
  });

  it('treats a repeated promote or abort as the same request', async () => {
    const w = world();
    const { done } = await w.service.deploy('blog', 'v2', { by: alice });
    await new Promise<void>((resolve) => w.when('verifying', resolve));
    await w.service.abort('blog', bob);
    const twice = await w.service.abort('blog', alice);
    expect(twice.abortedBy).toEqual(bob);
    expect(w.events.filter((e) => e.type === 'intent')).toHaveLength(1);
    expect((await done).record?.phase).toBe('aborted');
  });

  it('reads one deploy by app and id, or by id alone, without touching the fleet', async () => {
    const w = world({ app: { verify: { required: false } } });
    const { record, done } = await w.service.deploy('blog', 'v2', { by: alice });
    await done;
    const before = w.journal.length;
    expect((await w.service.get('blog', record.id)).record).toMatchObject({ id: record.id, phase: 'done' });
    expect((await w.service.find(record.id)).record.id).toBe(record.id);
    expect(w.journal.length).toBe(before);
    expect(await refusal(w.service.get('blog', 'blog-99'))).toMatchObject({ code: 'deploy-unknown' });
    expect(await refusal(w.service.find('shop-1'))).toMatchObject({ code: 'deploy-unknown' });
    expect(await refusal(w.service.get('shop', 'shop-1'))).toMatchObject({ code: 'app-unknown' });
  });

  it('feeds whole snapshots of its deploys with pods and nodes progress, latest-wins', async () => {
    const w = world({ app: { verify: { required: false } } });
    const seen: DeploySnapshot[] = [];
    const stop = w.service.watch({ app: 'blog' }, (s) => void seen.push(s));
    const { done } = await w.service.deploy('blog', 'v2', { by: alice });
    await done;
    await settle();
    stop();
    const phases = [...new Set(seen.map((s) => s.record.phase))];
    expect(phases[0]).toBe('pending');
    expect(phases.at(-1)).toBe('done');
    expect(seen.some((s) => s.progress.pods?.ready === 3 && s.progress.pods.desired === 3)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ live: { colour: 'green', version: 'v2' }, progress: { nodes: { switched: 3, total: 3, colour: 'green' } } });
    expect(seen.map((s) => s.revision)).toEqual([...seen.map((s) => s.revision)].sort((a, b) => a - b));
    // The record says what the switch did, for agents that only read it.
    expect(seen.at(-1)?.record.switched).toMatchObject({ nodes: 3 });
  });
});

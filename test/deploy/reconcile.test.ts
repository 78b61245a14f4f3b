import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { alice, bob } from './fixtures.js';
import { world } from './fake-ports.js';

const failure = (p: Promise<unknown>): Promise<SwitchyardError> =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err as SwitchyardError,
  );

describe('DeployService.reconcile', () => {
  it('brings a drifted node back under the lock with a repairing switch, and records who did it in history', async () => {
    const w = world();
    w.fleet.live.set('node-c', 'green');
    const plan = await w.service.planReconcile('blog');
    expect(plan).toMatchObject({ target: 'blue', version: 'v1', nodes: [{ node: 'node-c', from: 'green' }], nothingToDo: false });
    const record = await w.service.reconcile('blog', plan, bob);

    expect(Object.fromEntries(w.fleet.live)).toEqual({ 'node-a': 'blue', 'node-b': 'blue', 'node-c': 'blue' });
    expect(w.fleet.switches).toEqual([{ colour: 'blue' }]);
    const s = await w.state.read('blog');
    expect(s.live).toEqual({ colour: 'blue', version: 'v1' });
    expect(s.inFlight).toBeNull();
    expect(s.history[0]).toEqual(record);
    expect(record).toMatchObject({ kind: 'reconcile', phase: 'done', requestedBy: bob, toColour: 'blue', switched: { nodes: 1 } });
    expect(record.transitions.at(-1)?.note).toBe('node-c green → blue; recorded live: blue v1');
    const at = (line: string) => w.journal.indexOf(line);
    expect(at('lock acquire blog')).toBeGreaterThanOrEqual(0);
    expect(at('lock acquire blog')).toBeLessThan(at('fleet switch blue'));
    expect(w.journal.at(-1)).toBe('lock release blog');
    expect(w.lock.holders.size).toBe(0);
  });

  it('refuses while a deploy is in flight: a switch in progress is not drift', async () => {
    const w = world();
    const verifying = new Promise<void>((resolve) => w.when('verifying', resolve));
    const started = await w.service.deploy('blog', 'v2', { by: alice });
    await verifying;
    w.fleet.live.set('node-c', 'green');
    const err = await failure(w.service.planReconcile('blog'));
    expect(err).toMatchObject({ code: 'lock-held', message: `blog has deploy ${started.record.id} in flight (verifying): its nodes are not reconciled while it runs; nothing was changed` });
    await w.service.abort('blog', bob);
    await started.done;
    expect(w.fleet.switches).toEqual([]);
  });

  it('changes nothing when the fleet moved since the plan was shown', async () => {
    const w = world();
    w.fleet.live.set('node-c', 'green');
    const plan = await w.service.planReconcile('blog');
    w.fleet.live.set('node-b', 'green');
    const err = await failure(w.service.reconcile('blog', plan, bob));
    expect(err).toMatchObject({ code: 'fleet-disagrees', message: 'the nodes or the record of blog changed since the plan was shown; nothing was changed' });
    expect(w.fleet.switches).toEqual([]);
    expect((await w.state.read('blog')).history).toEqual([]);
    expect(w.lock.holders.size).toBe(0);
  });

  it('is refused while another agent holds the app, naming it', async () => {
    const w = world();
    w.fleet.live.set('node-c', 'green');
    const plan = await w.service.planReconcile('blog');
    await w.lock.acquire('blog', { agent: 'agent-2', deployId: 'blog-9', by: alice });
    const err = await failure(w.service.reconcile('blog', plan, bob));
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('held by agent-2') });
    expect(w.fleet.switches).toEqual([]);
  });
});

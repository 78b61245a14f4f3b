import { describe, expect, it } from 'vitest';
import type { ResumeReport } from '../../src/deploy/deploy-service.js';
import type { DeployRecord, Phase } from '../../src/state/app-state.js';
import type { Colour } from '../../src/validate/patterns.js';
import { alice, bob, iso, record, rs } from './fixtures.js';
import { world } from './fake-ports.js';

/**
 * An agent killed in each phase and started again: the world is left as the
 * kill left it, the record as last written, and no lock is held (the dead
 * agent's lease expired).
 */
interface Killed {
  phase: Phase;
  over?: Partial<DeployRecord>;
  blue: ReturnType<typeof rs> | null;
  green: ReturnType<typeof rs> | null;
  nodes: [Colour, Colour, Colour];
  how: ResumeReport['how'];
  ends: Phase;
  /** Colours left after the resumed deploy ended, and where every node is. */
  after: { blue: string | null; green: string | null; nodes: Colour };
}

const promoted = { promotedBy: bob, verifyUntil: iso(3600) };
const cases: [string, Killed][] = [
  ['creating, before the create landed', { phase: 'creating', over: promoted, blue: rs('v1', 3), green: null, nodes: ['blue', 'blue', 'blue'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['creating, after the create landed', { phase: 'creating', over: promoted, blue: rs('v1', 3), green: rs('v2', 3, 0), nodes: ['blue', 'blue', 'blue'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['waiting', { phase: 'waiting', over: promoted, blue: rs('v1', 3), green: rs('v2', 3, 1), nodes: ['blue', 'blue', 'blue'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['verifying, already promoted', { phase: 'verifying', over: promoted, blue: rs('v1', 3), green: rs('v2', 3), nodes: ['blue', 'blue', 'blue'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['verifying, past its deadline', { phase: 'verifying', over: { verifyUntil: iso(-1) }, blue: rs('v1', 3), green: rs('v2', 3), nodes: ['blue', 'blue', 'blue'], how: 'unwound', ends: 'aborted', after: { blue: 'v1', green: null, nodes: 'blue' } }],
  ['switching, before any node switched', { phase: 'switching', over: promoted, blue: rs('v1', 3), green: rs('v2', 3), nodes: ['blue', 'blue', 'blue'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['switching, with the nodes mixed', { phase: 'switching', over: promoted, blue: rs('v1', 3), green: rs('v2', 3), nodes: ['green', 'blue', 'blue'], how: 'reverted', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['switching, mixed and green no longer Ready', { phase: 'switching', over: promoted, blue: rs('v1', 3), green: rs('v2', 3, 1), nodes: ['green', 'green', 'blue'], how: 'reverted', ends: 'failed', after: { blue: 'v1', green: null, nodes: 'blue' } }],
  ['switching, after every node switched', { phase: 'switching', over: promoted, blue: rs('v1', 3), green: rs('v2', 3), nodes: ['green', 'green', 'green'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['draining', { phase: 'draining', over: { ...promoted, switchedAt: iso(0), drainUntil: iso(30) }, blue: rs('v1', 3), green: rs('v2', 3), nodes: ['green', 'green', 'green'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['retiring, mid-delete', { phase: 'retiring', over: { ...promoted, switchedAt: iso(0) }, blue: rs('v1', 3, 1), green: rs('v2', 3), nodes: ['green', 'green', 'green'], how: 'continued', ends: 'done', after: { blue: null, green: 'v2', nodes: 'green' } }],
  ['waiting, while unwinding a failure', { phase: 'waiting', over: { error: { code: 'pods-not-ready', message: 'pod x: CrashLoopBackOff', phase: 'waiting' } }, blue: rs('v1', 3), green: rs('v2', 3, 0), nodes: ['blue', 'blue', 'blue'], how: 'unwound', ends: 'failed', after: { blue: 'v1', green: null, nodes: 'blue' } }],
];

describe('resumeInFlight: an agent killed in each phase and started again', () => {
  it.each(cases)('%s', async (_, k) => {
    const w = world();
    w.cluster.colours = { blue: k.blue, green: k.green };
    w.fleet.nodes.forEach((n, i) => w.fleet.live.set(n.name, k.nodes[i]!));
    const inFlight = record(k.phase, k.over);
    w.state.states.set('blog', { app: 'blog', live: { colour: 'blue', version: 'v1' }, previous: null, inFlight, history: [] });

    const [report] = await w.service.resumeInFlight();
    expect(report).toMatchObject({ app: 'blog', deployId: 'blog-1', phase: k.phase, how: k.how });
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'resumed', phase: k.phase, how: k.how }));
    const result = await report!.done!;

    expect(result).toMatchObject({ outcome: 'finished', record: { phase: k.ends } });
    expect({ blue: w.cluster.colours.blue?.version ?? null, green: w.cluster.colours.green?.version ?? null }).toEqual({ blue: k.after.blue, green: k.after.green });
    expect([...w.fleet.live.values()]).toEqual([k.after.nodes, k.after.nodes, k.after.nodes]);
    const s = await w.state.read('blog');
    expect(s.inFlight).toBeNull();
    expect(s.live?.colour).toBe(k.after.nodes);
    expect(w.lock.holders.size).toBe(0);
  });

  it('a revert of a mixed fleet that fails in prepare keeps both colours: nodes still serve green', async () => {
    const w = world();
    w.cluster.colours = { blue: rs('v1', 3), green: rs('v2', 3) };
    (['green', 'green', 'blue'] as const).forEach((c, i) => w.fleet.live.set(w.fleet.nodes[i]!.name, c));
    w.fleet.failPrepareTo = 'blue';
    w.state.states.set('blog', { app: 'blog', live: { colour: 'blue', version: 'v1' }, previous: null, inFlight: record('switching', promoted), history: [] });

    const [report] = await w.service.resumeInFlight();
    const result = await report!.done!;

    expect(result.record).toMatchObject({ phase: 'failed', error: { code: 'switch-revert-failed', phase: 'switching', message: expect.stringContaining('node-c') } });
    expect(w.cluster.colours.green).toMatchObject({ version: 'v2' });
    expect(w.cluster.colours.blue).toMatchObject({ version: 'v1' });
  });

  it('two resume passes at once in one agent start one runner', async () => {
    const w = world();
    w.cluster.colours = { blue: rs('v1', 3), green: rs('v2', 3, 1) };
    w.state.states.set('blog', { app: 'blog', live: { colour: 'blue', version: 'v1' }, previous: null, inFlight: record('waiting', promoted), history: [] });
    const passes = await Promise.all([w.service.resumeInFlight(), w.service.resumeInFlight()]);
    expect(passes.map(([r]) => r!.how).sort()).toEqual(['continued', 'held-elsewhere']);
    await w.service.settled();
    expect(w.journal.filter((j) => j === 'cluster wait green')).toHaveLength(1);
  });

  it('leaves a deploy another live agent holds, and reports apps with nothing in flight', async () => {
    const w = world();
    await w.lock.acquire('blog', { agent: 'agent-2', deployId: 'blog-1' });
    w.state.states.set('blog', { app: 'blog', live: { colour: 'blue', version: 'v1' }, previous: null, inFlight: record('waiting'), history: [] });
    expect(await w.service.resumeInFlight()).toEqual([{ app: 'blog', deployId: 'blog-1', phase: 'waiting', how: 'held-elsewhere', note: 'held by agent-2' }]);
    expect(w.journal.filter((j) => !j.startsWith('lock'))).toEqual([]);

    const idle = world();
    expect(await idle.service.resumeInFlight()).toEqual([{ app: 'blog', how: 'idle' }]);
  });

  it('says when the agent holding a deploy looks dead, since when, and until when its lease holds it', async () => {
    const w = world();
    await w.lock.acquire('blog', { agent: 'agent-2', deployId: 'blog-1' });
    w.lock.seen = { looksDead: true, renewedAt: '2026-01-01T10:00:00.000Z', expiresAt: '2026-01-01T10:00:30.000Z' };
    w.state.states.set('blog', { app: 'blog', live: { colour: 'blue', version: 'v1' }, previous: null, inFlight: record('verifying'), history: [] });
    expect(await w.service.resumeInFlight()).toEqual([{
      app: 'blog', deployId: 'blog-1', phase: 'verifying', how: 'held-elsewhere', seen: w.lock.seen,
      note: 'held by agent-2; that agent looks dead: its lease was last renewed at 2026-01-01T10:00:00.000Z (by its clock) and expires at 2026-01-01T10:00:30.000Z',
    }]);
    const refused = await w.service.deploy('blog', 'v3', { by: alice }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'lock-held',
      message: expect.stringMatching(/now verifying; that agent looks dead: its lease was last renewed at 2026-01-01T10:00:00.000Z \(by its clock\) and expires at 2026-01-01T10:00:30.000Z$/),
      hint: expect.stringContaining('a running `switchyard serve` takes it over by then'),
    });
  });
});

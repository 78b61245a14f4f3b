import { describe, expect, it } from 'vitest';
import { decide } from '../../src/deploy/decide.js';
import { planDeploy } from '../../src/deploy/plan-deploy.js';
import type { Observation } from '../../src/deploy/observation.js';
import type { GateReading } from '../../src/gate/evaluate-gate.js';
import { sumSamples } from '../../src/gate/gate-figures.js';
import type { GateRecord } from '../../src/gate/gate-record.js';
import type { DeployRecord } from '../../src/state/app-state.js';
import { alice, appConfig, at, colours, fleet, iso, record, rs } from '../deploy/fixtures.js';

const gated = appConfig({ gate: { window: 60, checkEvery: 5, minRequests: 20, maxErrorRatio: 0.05, maxP95Seconds: 0.5 } });
const holds = appConfig({ gate: { window: 60, checkEvery: 5, onUnreadable: 'hold' } });
const keepsOne = appConfig({ gate: { window: 60, checkEvery: 5, keepReplicas: 1 } });
const blue1 = rs('v1', 3);
const green2 = rs('v2', 3);
const both = colours(blue1, green2);
const window: GateRecord = { since: iso(0), until: iso(60) };
const gating = (gate: Partial<GateRecord> = {}, over: Partial<DeployRecord> = {}) => record('gating', { switchedAt: iso(0), gate: { ...window, ...gate }, ...over });
const figures = (seconds: number, requests: number, errors: number, latencyMs = 10): GateReading => ({
  kind: 'figures',
  figures: sumSamples([{ node: 'node-a', requests: requests - errors, errors: 0, latenciesMs: [latencyMs] }, { node: 'node-b', requests: errors, errors, latenciesMs: [] }], at(seconds)),
});
const unreadable = (seconds: number): GateReading => ({ kind: 'unreadable', at: iso(seconds), message: 'gate log unreadable: node-b: cannot read /var/log/nginx/switchyard-blog.access.log' });

describe('decide: the gate window (invariant 4)', () => {
  it('a gated deploy that switched watches the new colour instead of draining, the window recorded', () => {
    const d = decide(record('switching'), { colours: both, fleet: fleet('green') }, at(0), gated);
    expect(d).toMatchObject({
      phase: 'gating',
      actions: [{ kind: 'gate-check', at: iso(0), since: iso(0) }],
      patch: { switchedAt: iso(0), gate: { since: iso(0), until: iso(60) } },
      live: { colour: 'green', version: 'v2' },
    });
    expect(d.patch?.drainUntil).toBeUndefined();
  });

  it('an ungated deploy drains as before, and a rollback is never gated', () => {
    expect(decide(record('switching'), { colours: both, fleet: fleet('green') }, at(0), appConfig())).toMatchObject({ phase: 'draining', patch: { drainUntil: iso(30) } });
    expect(decide(record('switching', { kind: 'rollback' }), { colours: both, fleet: fleet('green') }, at(0), gated).phase).toBe('draining');
  });

  it.each<{ name: string; rec: DeployRecord; obs: Observation; now: number; app?: typeof gated; want: object }>([
    { name: 'no reading yet: check now', rec: gating(), obs: { colours: both }, now: 1, want: { phase: 'gating', actions: [{ kind: 'gate-check', at: iso(1), since: iso(0) }] } },
    { name: 'good figures: recorded, next check one interval later', rec: gating(), obs: { colours: both, gate: figures(10, 100, 1) }, now: 10,
      want: { phase: 'gating', actions: [{ kind: 'gate-check', at: iso(15), since: iso(0) }], patch: { gate: { ...window, figures: { requests: 100, errors: 1 } } } } },
    { name: 'the last check lands on the window\'s end', rec: gating(), obs: { colours: both, gate: figures(58, 100, 1) }, now: 58,
      want: { phase: 'gating', actions: [{ kind: 'gate-check', at: iso(60), since: iso(0) }] } },
    { name: 'too few requests are not judged while the window runs', rec: gating(), obs: { colours: both, gate: figures(10, 5, 5) }, now: 10,
      want: { phase: 'gating', actions: [{ kind: 'gate-check', at: iso(15), since: iso(0) }] } },
    { name: 'a check at the window\'s end that passes: on to drain', rec: gating(), obs: { colours: both, gate: figures(60, 100, 1) }, now: 60,
      want: { phase: 'draining', actions: [{ kind: 'wait-drained', until: iso(90) }], patch: { drainUntil: iso(90) }, note: 'gate passed: 100 requests, 5xx 1.0% (1), p95 10 ms' } },
    { name: 'a window that ends with too few requests says so', rec: gating(), obs: { colours: both, gate: figures(61, 3, 0) }, now: 61,
      want: { phase: 'draining', note: 'gate window passed with 3 requests, fewer than the 20 it judges: not judged' } },
    { name: 'a crossed 5xx threshold records the evidence and switches every node back at once', rec: gating(), obs: { colours: both, gate: figures(10, 100, 20) }, now: 10,
      want: { phase: 'gating', actions: [{ kind: 'switch', colour: 'blue', reason: 'revert' }],
        patch: { gate: { rollback: { crossed: ['5xx 20.0% > 5.0%'], nodes: ['node-b'], figures: { requests: 100, errors: 20 } } } },
        note: 'gate: 5xx 20.0% > 5.0% (100 requests, 5xx 20.0% (20), p95 10 ms) on node-b; switching every node back to blue' } },
    { name: 'a slow p95 trips the latency threshold', rec: gating(), obs: { colours: both, gate: figures(10, 100, 0, 900) }, now: 10,
      want: { phase: 'gating', actions: [{ kind: 'switch', colour: 'blue', reason: 'revert' }], patch: { gate: { rollback: { crossed: ['p95 900 ms > 500 ms'] } } } } },
    { name: 'an unreadable source rolls back (onUnreadable: rollback)', rec: gating(), obs: { colours: both, gate: unreadable(10) }, now: 10,
      want: { phase: 'gating', actions: [{ kind: 'switch', colour: 'blue' }], patch: { gate: { rollback: { reason: expect.stringContaining('node-b: cannot read'), crossed: [], nodes: [] } } } } },
    { name: 'an unreadable source holds (onUnreadable: hold)', rec: gating(), obs: { colours: both, gate: unreadable(10) }, now: 10, app: holds,
      want: { phase: 'gating', actions: [{ kind: 'await-intent', until: iso(15) }], patch: { gate: { held: { at: iso(10) } } }, note: expect.stringContaining('holding the window') } },
    { name: 'held, it never ends by itself, even past the window', rec: gating({ held: { at: iso(10), message: 'x' } }), obs: { colours: both }, now: 600, app: holds,
      want: { phase: 'gating', actions: [{ kind: 'await-intent', until: iso(605) }] } },
    { name: 'a person accepts: on to drain', rec: gating({ ended: { by: alice, how: 'accept', at: iso(5) } }), obs: { colours: both }, now: 5,
      want: { phase: 'draining', by: alice, note: 'gate window ended early by alice (slack): accepted' } },
    { name: 'a person rolls back', rec: gating({ ended: { by: alice, how: 'rollback', at: iso(5) } }), obs: { colours: both }, now: 5,
      want: { phase: 'gating', by: alice, actions: [{ kind: 'switch', colour: 'blue' }], patch: { gate: { rollback: { reason: 'gate window ended early by alice (slack): rolled back' } } } } },
    { name: 'the switch back is confirmed: auto-rolled-back, blue live, green kept', rec: gating({ rollback: { reason: 'r', crossed: [], nodes: [] } }), obs: { colours: both, fleet: fleet('blue') }, now: 11,
      want: { phase: 'auto-rolled-back', actions: [], live: { colour: 'blue', version: 'v1' }, note: 'every node back on blue; blog-green v2 kept as it is for inspection' } },
    { name: 'the switch back is confirmed with keepReplicas: green scaled down first, nothing recorded yet', rec: gating({ rollback: { reason: 'r', crossed: [], nodes: [] } }), obs: { colours: both, fleet: fleet('blue') }, now: 11, app: keepsOne,
      want: { phase: 'gating', actions: [{ kind: 'scale-colour', colour: 'green', replicas: 1 }] } },
    { name: 'green scaled as configured (Ready or not): auto-rolled-back, saying so', rec: gating({ rollback: { reason: 'r', crossed: [], nodes: [] } }), obs: { colours: colours(blue1, rs('v2', 1, 0)), fleet: fleet('blue') }, now: 12, app: keepsOne,
      want: { phase: 'auto-rolled-back', actions: [], live: { colour: 'blue', version: 'v1' }, note: 'every node back on blue; blog-green v2 kept scaled to 1 replicas for inspection' } },
    { name: 'keepReplicas with green deleted by hand: nothing to scale', rec: gating({ rollback: { reason: 'r', crossed: [], nodes: [] } }), obs: { colours: colours(blue1, null), fleet: fleet('blue') }, now: 12, app: keepsOne,
      want: { phase: 'auto-rolled-back', note: 'every node back on blue; blog-green v2 kept as it is for inspection' } },
    { name: 'keepReplicas never scales before every node is back on blue', rec: gating({ rollback: { reason: 'r', crossed: [], nodes: [] } }), obs: { colours: both, fleet: fleet('green', 'blue', 'green') }, now: 11, app: keepsOne,
      want: { phase: 'gating', actions: [{ kind: 'switch', colour: 'blue', reason: 'revert' }] } },
    { name: 'rolling back, resumed on a fleet still on green: switch back again', rec: gating({ rollback: { reason: 'r', crossed: [], nodes: [] } }), obs: { colours: both, fleet: fleet('green', 'blue', 'green') }, now: 11,
      want: { phase: 'gating', actions: [{ kind: 'switch', colour: 'blue', reason: 'revert' }] } },
    { name: 'rolling back waits for the fleet to be read', rec: gating({ rollback: { reason: 'r', crossed: [], nodes: [] } }), obs: { colours: both }, now: 11,
      want: { phase: 'gating', actions: [] } },
    { name: 'blue was deleted by hand: nothing to go back to, the window ends', rec: gating(), obs: { colours: colours(null, green2) }, now: 5,
      want: { phase: 'draining', note: 'blog-blue is gone: nothing for the gate to go back to' } },
  ])('$name', ({ rec, obs, now, app, want }) => {
    expect(decide(rec, obs, at(now), app ?? gated)).toMatchObject(want);
  });

  it('green losing Ready pods in the window waits out the readiness grace like a drain, then fails back to blue', () => {
    const lost = decide(gating(), { colours: colours(blue1, rs('v2', 3, 2)) }, at(5), gated);
    expect(lost).toMatchObject({ phase: 'gating', actions: [{ kind: 'await-ready' }], patch: { notReadySince: iso(5) } });
    const failed = decide(gating({}, { notReadySince: iso(5) }), { colours: colours(blue1, rs('v2', 3, 2)) }, at(35), gated);
    expect(failed.patch?.error?.code).toBe('deploy-failed');
  });

  it('the old colour is never retired while the window runs: no pass of it deletes blue', () => {
    for (let s = 0; s < 60; s += 5) {
      const d = decide(gating(), { colours: both, gate: figures(s, 100, 0) }, at(s), gated);
      expect(d.actions.some((a) => a.kind === 'delete-colour' || a.kind === 'wait-drained')).toBe(false);
    }
  });
});

describe('plan: a gated deploy', () => {
  it('shows the window between the switch and the drain, assuming the gate passes', () => {
    const steps = planDeploy(record('verifying', { promotedBy: alice }), { colours: both, fleet: fleet('blue') }, at(0), gated);
    expect(steps.map((s) => s.phase)).toEqual(['switching', 'gating', 'draining', 'retiring', 'done']);
    expect(steps[1]!.lines).toEqual([`read what the new colour answered since ${iso(0)}, at ${iso(0)}`]);
  });
});

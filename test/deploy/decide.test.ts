import { describe, expect, it } from 'vitest';
import { AGENT_ACTOR, decide } from '../../src/deploy/decide.js';
import type { Decision } from '../../src/deploy/decision.js';
import type { Observation } from '../../src/deploy/observation.js';
import { emptyAppState, type DeployRecord } from '../../src/state/app-state.js';
import { applyDecision, decisionRecords } from '../../src/deploy/apply-decision.js';
import { alice, appConfig, at, bob, colours, fleet, iso, record, rs } from './fixtures.js';

interface Row {
  name: string;
  rec: DeployRecord;
  obs: Observation;
  /** Seconds after T0. */
  now?: number;
  app?: Record<string, unknown>;
  /** Matched with toMatchObject; `actions` exactly. */
  want: Pick<Partial<Decision>, 'phase' | 'actions'> & { noteHas?: string; errorHas?: string; [field: string]: unknown };
}

const blue1 = rs('v1', 3);
const green2 = rs('v2', 3);
const green2Starting = rs('v2', 3, 1);
const err = (code: string, message: string, phase: DeployRecord['phase']) => ({ error: { code, message, phase } });
const smoke = { verify: { smoke: { path: '/healthz', status: 200 } } };
const keep = { retainMinutes: 30 };

function check({ rec, obs, now = 5, app = {}, want }: Row): void {
  const { noteHas, errorHas, ...exact } = want;
  const d = decide(rec, obs, at(now), appConfig(app));
  if (exact.actions) expect(d.actions).toEqual(exact.actions);
  expect(d).toMatchObject(exact);
  if (noteHas) expect(d.note).toContain(noteHas);
  if (errorHas) expect(d.patch?.error?.message).toContain(errorHas);
}

const rows = (list: Row[]) => list.map((r) => [r.name, r] as const);

describe('decide: pending and discovering', () => {
  it.each(
    rows([
      { name: 'a request moves on to discovery, by whom asked', rec: record('pending'), obs: { colours: colours(blue1, null) }, want: { phase: 'discovering', actions: [], by: alice } },
      {
        name: 'a held request waits for a Start, creating nothing, as long as a verification would',
        rec: record('pending', { hold: true }),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'pending', actions: [{ kind: 'await-intent', until: iso(-60 + 4 * 3600) }] },
      },
      {
        name: 'a held request that was started moves on to discovery, by whom started',
        rec: record('pending', { hold: true, startedBy: bob }),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'discovering', actions: [], by: bob, noteHas: 'started' },
      },
      {
        name: 'a held request rejected (aborted) ends aborted with nothing created or removed',
        rec: record('pending', { hold: true, abortedBy: bob }),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'aborted', actions: [], by: bob, live: { colour: 'blue', version: 'v1' } },
      },
      {
        name: 'a held request nobody started is aborted by the agent when its time is up',
        rec: record('pending', { hold: true }),
        obs: { colours: colours(blue1, null) },
        now: 4 * 3600,
        want: { phase: 'aborted', actions: [], by: AGENT_ACTOR, errorHas: 'was not started by' },
      },
      {
        name: 'nodes agree with the state: create green mirroring blue',
        rec: record('discovering'),
        obs: { colours: colours(blue1, null), fleet: fleet('blue') },
        want: { phase: 'creating', actions: [{ kind: 'create-colour', colour: 'green', version: 'v2', from: { kind: 'mirror', colour: 'blue' } }] },
      },
      {
        name: 'without the fleet read nothing is decided',
        rec: record('discovering'),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'discovering', actions: [] },
      },
      {
        name: 'first deploy: the new colour is the one the nodes do not mark live, from the template',
        rec: record('discovering', { fromColour: null, fromVersion: null, toColour: 'blue' }),
        obs: { colours: colours(null, null), fleet: fleet('blue') },
        want: { phase: 'creating', patch: { toColour: 'green' }, actions: [{ kind: 'create-colour', colour: 'green', version: 'v2', from: { kind: 'template' } }] },
      },
      {
        name: 'state lost but blue runs and is live: adopted as the old colour',
        rec: record('discovering', { fromColour: null, fromVersion: null }),
        obs: { colours: colours(blue1, null), fleet: fleet('blue') },
        want: { phase: 'creating', patch: { fromColour: 'blue', fromVersion: 'v1' }, actions: [{ kind: 'create-colour', colour: 'green', version: 'v2', from: { kind: 'mirror', colour: 'blue' } }] },
      },
      {
        name: 'nodes disagree: fail before anything is created, naming each node and the command that fixes it',
        rec: record('discovering'),
        obs: { colours: colours(blue1, null), fleet: fleet('blue', 'green', 'blue') },
        want: {
          phase: 'failed',
          actions: [],
          patch: { error: { ...err('fleet-disagrees', 'nodes disagree on the live colour of blog: node-a blue, node-b green, node-c blue', 'discovering').error, hint: expect.stringContaining('`switchyard reconcile blog`') } },
        },
      },
      {
        name: 'a node that cannot be read fails the deploy, naming it',
        rec: record('discovering'),
        obs: { colours: colours(blue1, null), fleet: fleet('blue', null, 'blue') },
        want: { phase: 'failed', errorHas: 'node-b (connection refused)' },
      },
      {
        name: 'no nodes found',
        rec: record('discovering'),
        obs: { colours: colours(blue1, null), fleet: { agreed: null, nodes: [] } },
        want: { phase: 'failed', patch: { error: { code: 'discovery-failed', phase: 'discovering' } } },
      },
      {
        name: 'nodes mark green live while the state says blue',
        rec: record('discovering'),
        obs: { colours: colours(blue1, null), fleet: fleet('green') },
        want: { phase: 'failed', errorHas: 'every node marks green live for blog but the state records blue' },
      },
      {
        name: 'nothing to mirror and no template: fail saying so',
        rec: record('discovering', { fromColour: null, fromVersion: null }),
        obs: { colours: colours(null, null), fleet: fleet('blue') },
        app: { template: undefined },
        want: { phase: 'failed', errorHas: 'no colour of blog runs to mirror' },
      },
      {
        name: 'a green kept from an earlier deploy (retention) gives way to the new version',
        rec: record('discovering'),
        obs: { colours: colours(blue1, rs('v0', 3)), fleet: fleet('blue') },
        want: { phase: 'creating', actions: [{ kind: 'delete-colour', colour: 'green' }, { kind: 'create-colour', colour: 'green', version: 'v2', from: { kind: 'mirror', colour: 'blue' } }] },
      },
      {
        name: 'abort during discovery leaves a retained green alone',
        rec: record('discovering', { abortedBy: bob }),
        obs: { colours: colours(blue1, rs('v0', 3)), fleet: fleet('blue') },
        want: { phase: 'aborted', actions: [], by: bob },
      },
    ]),
  )('%s', (_, row) => check(row));
});

describe('decide: creating and waiting', () => {
  it.each(
    rows([
      {
        name: 'green created: wait for its pods with the app readiness timeout',
        rec: record('creating'),
        obs: { colours: colours(blue1, green2Starting) },
        want: { phase: 'waiting', actions: [{ kind: 'wait-ready', colour: 'green', timeoutMs: 600_000 }] },
      },
      {
        name: 'resume in creating before the create landed: create again',
        rec: record('creating'),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'creating', actions: [{ kind: 'create-colour', colour: 'green', version: 'v2', from: { kind: 'mirror', colour: 'blue' } }] },
      },
      {
        name: 'the API server refused the create: fail in creating, nothing to remove',
        rec: record('creating'),
        obs: { colours: colours(blue1, null), failure: { action: 'create-colour', code: 'kube-api-failed', message: 'creating ReplicaSet blog/blog-green: 500' } },
        want: { phase: 'failed', actions: [], patch: err('kube-api-failed', 'creating ReplicaSet blog/blog-green: 500', 'creating') },
      },
      {
        name: 'abort while creating removes green first',
        rec: record('creating', { abortedBy: bob }),
        obs: { colours: colours(blue1, green2Starting) },
        want: { phase: 'creating', actions: [{ kind: 'delete-colour', colour: 'green' }] },
      },
      {
        name: 'abort before verifying staged nothing: nothing to unstage',
        rec: record('waiting', { abortedBy: bob }),
        obs: { colours: colours(blue1, green2Starting) },
        want: { phase: 'waiting', actions: [{ kind: 'delete-colour', colour: 'green' }] },
      },
      {
        name: 'abort completes once green is gone, by whom aborted',
        rec: record('creating', { abortedBy: bob }),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'aborted', actions: [], by: bob },
      },
      {
        name: 'resume in waiting: the deadline counts from when waiting was recorded',
        rec: record('waiting'),
        obs: { colours: colours(blue1, green2Starting) },
        now: 100,
        want: { phase: 'waiting', actions: [{ kind: 'wait-ready', colour: 'green', timeoutMs: 500_000 }] },
      },
      {
        name: 'pods not Ready at the deadline: fail and remove green',
        rec: record('waiting'),
        obs: { colours: colours(blue1, green2Starting) },
        now: 600,
        want: { phase: 'waiting', actions: [{ kind: 'delete-colour', colour: 'green' }], patch: err('pods-not-ready', 'blog-green has 1/3 Ready after 600s', 'waiting') },
      },
      {
        name: 'a pod in ImagePullBackOff: fail with its reason and remove green',
        rec: record('waiting'),
        obs: { colours: colours(blue1, green2Starting), failure: { action: 'wait-ready', code: 'pods-not-ready', message: 'pod blog-green-x7: ImagePullBackOff' } },
        want: { phase: 'waiting', actions: [{ kind: 'delete-colour', colour: 'green' }], patch: err('pods-not-ready', 'pod blog-green-x7: ImagePullBackOff', 'waiting') },
      },
      {
        name: 'Ready counts of an older generation do not count',
        rec: record('waiting'),
        obs: { colours: colours(blue1, rs('v2', 3, 3, 2, 1)) },
        want: { phase: 'waiting', actions: [{ kind: 'wait-ready', colour: 'green', timeoutMs: 595_000 }] },
      },
      {
        name: 'green disappeared while waiting',
        rec: record('waiting'),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'failed', errorHas: 'ReplicaSet blog-green disappeared' },
      },
      {
        name: 'all Ready: verify, with the verification deadline recorded',
        rec: record('waiting'),
        obs: { colours: colours(blue1, green2) },
        want: { phase: 'verifying', actions: [], patch: { verifyUntil: iso(5 + 4 * 3600) }, noteHas: '3/3 Ready' },
      },
      {
        name: 'all Ready with a smoke check configured: verify by smoke first',
        rec: record('waiting'),
        obs: { colours: colours(blue1, green2) },
        app: smoke,
        want: { phase: 'verifying', actions: [{ kind: 'smoke', colour: 'green', path: '/healthz', status: 200 }] },
      },
      {
        name: 'all Ready on a rollback: no verification, straight to the switch',
        rec: record('waiting', { kind: 'rollback', version: 'v0', skipVerify: true }),
        obs: { colours: colours(blue1, rs('v0', 3)) },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'green', reason: 'deploy', from: 'blue' }] },
      },
    ]),
  )('%s', (_, row) => check(row));
});

describe('decide: verifying', () => {
  const verifying = (over: Partial<DeployRecord> = {}) => record('verifying', { verifyUntil: iso(3600), ...over });
  it.each(
    rows([
      {
        name: 'smoke check first (again after a restart)',
        rec: verifying(),
        obs: { colours: colours(blue1, green2) },
        app: smoke,
        want: { phase: 'verifying', actions: [{ kind: 'smoke', colour: 'green', path: '/healthz', status: 200 }] },
      },
      {
        name: 'smoke passed: stage the switch on every node, then pause for promote until the recorded deadline',
        rec: verifying(),
        obs: { colours: colours(blue1, green2), smokePassed: true },
        app: smoke,
        want: { phase: 'verifying', actions: [{ kind: 'stage', colour: 'green', from: 'blue' }, { kind: 'await-intent', until: iso(3600) }] },
      },
      {
        name: 'staged (or tried) in this phase: only the pause',
        rec: verifying(),
        obs: { colours: colours(blue1, green2), staged: true },
        want: { phase: 'verifying', actions: [{ kind: 'await-intent', until: iso(3600) }] },
      },
      {
        name: 'a first deploy stages against the colour the nodes were found on',
        rec: verifying({ fromColour: null, fromVersion: null }),
        obs: { colours: colours(null, green2) },
        want: { phase: 'verifying', actions: [{ kind: 'stage', colour: 'green', from: 'blue' }, { kind: 'await-intent', until: iso(3600) }] },
      },
      {
        name: 'smoke failed: fail and remove green, traffic untouched',
        rec: verifying(),
        obs: { colours: colours(blue1, green2), failure: { action: 'smoke', code: 'deploy-failed', message: 'GET /healthz on node-b:30001 answered 500' } },
        app: smoke,
        want: { phase: 'verifying', actions: [{ kind: 'unstage' }, { kind: 'delete-colour', colour: 'green' }], patch: err('deploy-failed', 'GET /healthz on node-b:30001 answered 500', 'verifying') },
      },
      {
        name: 'promoted: switch, by whom promoted (staged or not: the runner hands over what it staged)',
        rec: verifying({ promotedBy: bob }),
        obs: { colours: colours(blue1, green2), staged: true },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'green', reason: 'deploy', from: 'blue' }], by: bob },
      },
      {
        name: 'verification deadline passed: abort, by the agent, removing green',
        rec: verifying(),
        obs: { colours: colours(blue1, green2) },
        now: 3600,
        want: {
          phase: 'verifying',
          actions: [{ kind: 'unstage' }, { kind: 'delete-colour', colour: 'green' }],
          by: AGENT_ACTOR,
          patch: { abortedBy: AGENT_ACTOR, ...err('deploy-aborted', `verification of blog v2 timed out at ${iso(3600)} without a promote`, 'verifying') },
        },
      },
      {
        name: 'timed-out verification ends aborted once green is gone',
        rec: verifying({ abortedBy: AGENT_ACTOR, ...err('deploy-aborted', 'timed out', 'verifying') }),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'aborted', actions: [] },
      },
      {
        name: 'app does not require the pause',
        rec: verifying(),
        obs: { colours: colours(blue1, green2) },
        app: { verify: { required: false } },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'green', reason: 'deploy', from: 'blue' }] },
      },
      {
        name: 'request asked to skip the pause',
        rec: verifying({ skipVerify: true }),
        obs: { colours: colours(blue1, green2) },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'green', reason: 'deploy', from: 'blue' }] },
      },
      {
        name: 'green loses a Ready pod while verified: its grace starts, noted with when; nothing else, not even a promoted switch',
        rec: verifying({ promotedBy: bob }),
        obs: { colours: colours(blue1, rs('v2', 3, 2)) },
        want: {
          phase: 'verifying',
          actions: [{ kind: 'await-ready', colour: 'green', until: iso(35) }],
          patch: { notReadySince: iso(5) },
          noteHas: `blog-green lost Ready pods while being verified (2/3 Ready); the deploy fails unless they are all Ready again by ${iso(35)}`,
        },
      },
      {
        name: 'still not Ready within the grace (a restarted runner too: its start is recorded): wait on',
        rec: verifying({ promotedBy: bob, notReadySince: iso(5) }),
        obs: { colours: colours(blue1, rs('v2', 3, 2)) },
        now: 34,
        want: { phase: 'verifying', actions: [{ kind: 'await-ready', colour: 'green', until: iso(35) }] },
      },
      {
        name: 'not Ready again when the grace is over: fail before any switch, saying since when',
        rec: verifying({ promotedBy: bob, notReadySince: iso(5) }),
        obs: { colours: colours(blue1, rs('v2', 3, 2)) },
        now: 35,
        want: {
          phase: 'verifying',
          actions: [{ kind: 'unstage' }, { kind: 'delete-colour', colour: 'green' }],
          patch: err('pods-not-ready', `blog-green lost Ready pods while being verified at ${iso(5)} and was not Ready again within 30s (2/3 Ready)`, 'verifying'),
        },
      },
      {
        name: 'Ready again within the grace: the loss is cleared and noted, and the promote goes ahead',
        rec: verifying({ promotedBy: bob, notReadySince: iso(5) }),
        obs: { colours: colours(blue1, green2) },
        now: 12,
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'green', reason: 'deploy', from: 'blue' }], by: bob, noteHas: 'blog-green Ready again (3/3 Ready) after 7s; promoted' },
      },
      {
        name: 'Ready again while nobody promoted yet: noted, and the pause goes on',
        rec: verifying({ notReadySince: iso(5) }),
        obs: { colours: colours(blue1, green2), staged: true },
        now: 12,
        want: { phase: 'verifying', actions: [{ kind: 'await-intent', until: iso(3600) }], noteHas: 'blog-green Ready again (3/3 Ready) after 7s' },
      },
      {
        name: 'without a grace (readinessGraceSeconds 0) a loss fails at once',
        rec: verifying({ promotedBy: bob }),
        obs: { colours: colours(blue1, rs('v2', 3, 2)) },
        app: { readinessGraceSeconds: 0 },
        want: { phase: 'verifying', actions: [{ kind: 'unstage' }, { kind: 'delete-colour', colour: 'green' }], patch: err('pods-not-ready', 'blog-green lost Ready pods while being verified (2/3 Ready)', 'verifying') },
      },
      {
        name: 'green gone while verified fails at once, whatever the grace',
        rec: verifying(),
        obs: { colours: colours(blue1, null) },
        want: { patch: err('pods-not-ready', 'blog-green lost Ready pods while being verified (no ReplicaSet)', 'verifying') },
      },
      {
        name: 'an aborted deploy, once green is gone, ends aborted with the colour it started from recorded live (a first deploy adopted it)',
        rec: verifying({ abortedBy: bob }),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'aborted', actions: [], live: { colour: 'blue', version: 'v1' } },
      },
      {
        name: 'abort wins over a promote before the switch',
        rec: verifying({ promotedBy: bob, abortedBy: alice }),
        obs: { colours: colours(blue1, green2) },
        want: { phase: 'verifying', actions: [{ kind: 'unstage' }, { kind: 'delete-colour', colour: 'green' }] },
      },
    ]),
  )('%s', (_, row) => check(row));
});

describe('decide: switching', () => {
  it.each(
    rows([
      {
        name: 'fleet on blue and green fully Ready: switch',
        rec: record('switching'),
        obs: { colours: colours(blue1, green2), fleet: fleet('blue') },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'green', reason: 'deploy', from: 'blue' }] },
      },
      {
        name: 'invariant 1: never switch to a colour missing Ready pods',
        rec: record('switching'),
        obs: { colours: colours(blue1, green2Starting), fleet: fleet('blue') },
        want: { phase: 'switching', actions: [{ kind: 'delete-colour', colour: 'green' }], patch: { error: { code: 'pods-not-ready', phase: 'switching' } }, errorHas: 'not switching blog to green' },
      },
      {
        name: 'every node on green: drain, recording when and until when, green now live',
        rec: record('switching'),
        obs: { colours: colours(blue1, green2), fleet: fleet('green') },
        want: {
          phase: 'draining',
          actions: [{ kind: 'wait-drained', until: iso(35) }],
          patch: { switchedAt: iso(5), drainUntil: iso(35) },
          live: { colour: 'green', version: 'v2' },
        },
      },
      {
        name: 'resume after being killed mid-switch: nodes disagree, all back on blue first',
        rec: record('switching'),
        obs: { colours: colours(blue1, green2), fleet: fleet('green', 'blue', 'blue') },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'blue', reason: 'revert' }], noteHas: 'putting every node back on blue' },
      },
      {
        name: 'a failed switch (the fleet reverted itself): remove green, fail naming the node',
        rec: record('switching'),
        obs: {
          colours: colours(blue1, green2),
          fleet: fleet('blue'),
          failure: { action: 'switch', code: 'switch-commit-failed', message: 'nginx -t failed on node-b' },
        },
        want: { phase: 'switching', actions: [{ kind: 'delete-colour', colour: 'green' }], patch: err('switch-commit-failed', 'nginx -t failed on node-b', 'switching') },
      },
      {
        name: 'a failed switch is recorded first and the fleet read on the next pass',
        rec: record('switching'),
        obs: { colours: colours(blue1, green2), failure: { action: 'switch', code: 'switch-commit-failed', message: 'nginx -t failed on node-b' } },
        want: { phase: 'switching', actions: [], patch: err('switch-commit-failed', 'nginx -t failed on node-b', 'switching') },
      },
      {
        name: 'after a failed switch, the unwind ends failed with blue live',
        rec: record('switching', err('switch-commit-failed', 'nginx -t failed on node-b', 'switching')),
        obs: { colours: colours(blue1, null), fleet: fleet('blue') },
        want: { phase: 'failed', actions: [], live: { colour: 'blue', version: 'v1' } },
      },
      {
        name: 'a switch that failed in prepare changed no node: remove green without touching the fleet, though a node is unreadable',
        rec: record('switching', err('switch-prepare-failed', 'cannot prepare blog on node-b: connection refused', 'switching')),
        obs: { colours: colours(blue1, green2), fleet: fleet('blue', null, 'blue') },
        want: { phase: 'switching', actions: [{ kind: 'delete-colour', colour: 'green' }] },
      },
      {
        name: 'a promoted switch that failed in prepare (drift since staging) removes the files staged during verification with green',
        rec: {
          ...record('switching', err('fleet-disagrees', 'nodes disagree on blog\'s live colour: green on node-b', 'switching')),
          transitions: [{ phase: 'pending', at: iso(-60), by: alice }, { phase: 'verifying', at: iso(0) }, { phase: 'switching', at: iso(1), by: bob }],
        },
        obs: { colours: colours(blue1, green2) },
        want: { phase: 'switching', actions: [{ kind: 'unstage' }, { kind: 'delete-colour', colour: 'green' }] },
      },
      {
        name: 'a switch that failed in prepare ends failed with blue live, without reading the fleet',
        rec: record('switching', err('switch-prepare-failed', 'cannot prepare blog on node-b: connection refused', 'switching')),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'failed', actions: [], live: { colour: 'blue', version: 'v1' } },
      },
      {
        name: 'an abort arriving once switching is recorded is too late and ignored',
        rec: record('switching', { abortedBy: bob }),
        obs: { colours: colours(blue1, green2), fleet: fleet('blue') },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'green', reason: 'deploy', from: 'blue' }] },
      },
    ]),
  )('%s', (_, row) => check(row));
});

describe('decide: draining, retiring and the switch back', () => {
  const draining = (over: Partial<DeployRecord> = {}) => record('draining', { switchedAt: iso(0), drainUntil: iso(30), ...over });
  const lost = err('deploy-failed', 'blog-green lost Ready pods after the switch (1/3 Ready)', 'draining');
  it.each(
    rows([
      { name: 'drain until the recorded deadline', rec: draining(), obs: { colours: colours(blue1, green2) }, want: { phase: 'draining', actions: [{ kind: 'wait-drained', until: iso(30) }] } },
      {
        name: 'every node drained early: retire blue, remembering it for a rollback',
        rec: draining(),
        obs: { colours: colours(blue1, green2), drained: true },
        want: { phase: 'retiring', actions: [{ kind: 'delete-colour', colour: 'blue' }], previous: { colour: 'blue', version: 'v1', template: blue1.template, replicas: 3 } },
      },
      { name: 'the drain deadline passed: retire blue', rec: draining(), obs: { colours: colours(blue1, green2) }, now: 30, want: { phase: 'retiring', actions: [{ kind: 'delete-colour', colour: 'blue' }] } },
      { name: 'retention keeps blue', rec: draining(), obs: { colours: colours(blue1, green2) }, now: 30, app: keep, want: { phase: 'retiring', actions: [] } },
      {
        name: 'the switch stayed through the drain: post-deploy runs, then blue is retired',
        rec: draining(),
        obs: { colours: colours(blue1, green2), drained: true },
        app: { postDeployCommand: '/sbin/deploy-blog' },
        want: { phase: 'retiring', actions: [{ kind: 'post-deploy' }, { kind: 'delete-colour', colour: 'blue' }] },
      },
      {
        name: 'release clean-up alone is a post-deploy step too, with blue retained',
        rec: draining(),
        obs: { colours: colours(blue1, green2) },
        now: 30,
        app: { ...keep, releasesDir: '/srv/blog/releases', keepReleases: 3 },
        want: { phase: 'retiring', actions: [{ kind: 'post-deploy' }] },
      },
      {
        name: 'green losing Ready pods after the grace puts traffic back on blue, without post-deploy',
        rec: draining({ notReadySince: iso(0) }),
        obs: { colours: colours(blue1, rs('v2', 3, 1)), fleet: fleet('green') },
        now: 31,
        app: { postDeployCommand: '/sbin/deploy-blog' },
        want: { phase: 'draining', actions: [{ kind: 'switch', colour: 'blue', reason: 'revert' }] },
      },
      {
        name: 'green loses Ready pods while blue still runs: its grace starts, noted; traffic stays',
        rec: draining(),
        obs: { colours: colours(blue1, rs('v2', 3, 1)) },
        want: {
          phase: 'draining',
          actions: [{ kind: 'await-ready', colour: 'green', until: iso(35) }],
          patch: { notReadySince: iso(5) },
          noteHas: 'blog-green lost Ready pods after the switch (1/3 Ready); the deploy fails unless',
        },
      },
      {
        name: 'while green is not Ready no drain ends: blue is kept, past the drain deadline and with every node drained',
        rec: draining({ notReadySince: iso(5) }),
        obs: { colours: colours(blue1, rs('v2', 3, 1)), drained: true },
        now: 31,
        want: { phase: 'draining', actions: [{ kind: 'await-ready', colour: 'green', until: iso(35) }] },
      },
      {
        name: 'Ready again within the grace: cleared and noted, and the drain goes on',
        rec: draining({ notReadySince: iso(5) }),
        obs: { colours: colours(blue1, green2) },
        now: 10,
        want: { phase: 'draining', actions: [{ kind: 'wait-drained', until: iso(30) }], noteHas: 'blog-green Ready again (3/3 Ready) after 5s' },
      },
      {
        name: 'not Ready again when the grace is over: record why, then read the fleet to send traffic back',
        rec: draining({ notReadySince: iso(5) }),
        obs: { colours: colours(blue1, rs('v2', 3, 1)) },
        now: 35,
        want: { phase: 'draining', actions: [], patch: err('deploy-failed', `blog-green lost Ready pods after the switch at ${iso(5)} and was not Ready again within 30s (1/3 Ready)`, 'draining') },
      },
      {
        name: 'without a grace, a loss sends traffic back at once',
        rec: draining(),
        obs: { colours: colours(blue1, rs('v2', 3, 1)) },
        app: { readinessGraceSeconds: 0 },
        want: { phase: 'draining', actions: [], patch: lost },
      },
      {
        name: 'switching back to blue',
        rec: draining(lost),
        obs: { colours: colours(blue1, rs('v2', 3, 1)), fleet: fleet('green') },
        want: { phase: 'draining', actions: [{ kind: 'switch', colour: 'blue', reason: 'revert' }] },
      },
      {
        name: 'switched back: remove green',
        rec: draining(lost),
        obs: { colours: colours(blue1, rs('v2', 3, 1)), fleet: fleet('blue') },
        want: { phase: 'draining', actions: [{ kind: 'delete-colour', colour: 'green' }] },
      },
      {
        name: 'switched back and green gone: failed, blue live again',
        rec: draining(lost),
        obs: { colours: colours(blue1, null), fleet: fleet('blue') },
        want: { phase: 'failed', actions: [], live: { colour: 'blue', version: 'v1' } },
      },
      {
        name: 'blue is not fully Ready either: traffic stays on green, nothing removed',
        rec: draining(lost),
        obs: { colours: colours(rs('v1', 3, 0), rs('v2', 3, 1)), fleet: fleet('green') },
        want: { phase: 'failed', actions: [], live: { colour: 'green', version: 'v2' } },
      },
      {
        name: 'green lost pods with no old colour left: carry on',
        rec: draining({ fromColour: null, fromVersion: null }),
        obs: { colours: colours(null, rs('v2', 3, 2)) },
        want: { phase: 'draining', actions: [{ kind: 'wait-drained', until: iso(30) }] },
      },
      { name: 'retiring: delete blue (again after a restart)', rec: record('retiring'), obs: { colours: colours(blue1, green2) }, want: { phase: 'retiring', actions: [{ kind: 'delete-colour', colour: 'blue' }] } },
      {
        name: 'retiring after a restart does not run post-deploy again (it went with the step into retiring)',
        rec: record('retiring'),
        obs: { colours: colours(blue1, green2) },
        app: { postDeployCommand: '/sbin/deploy-blog' },
        want: { phase: 'retiring', actions: [{ kind: 'delete-colour', colour: 'blue' }] },
      },
      { name: 'blue gone: done, green live', rec: record('retiring'), obs: { colours: colours(null, green2) }, want: { phase: 'done', actions: [], live: { colour: 'green', version: 'v2' } } },
      { name: 'retained blue: done, saying so', rec: record('retiring'), obs: { colours: colours(blue1, green2) }, app: keep, want: { phase: 'done', noteHas: 'blog-blue kept 30 min' } },
      {
        name: 'deleting blue failed: the deploy stands on green, the error says blue may remain',
        rec: record('retiring'),
        obs: { colours: colours(blue1, green2), failure: { action: 'delete-colour', code: 'kube-api-failed', message: 'deleting blog-blue: 500' } },
        want: { phase: 'failed', live: { colour: 'green', version: 'v2' }, errorHas: 'blog-blue may still exist' },
      },
      {
        name: 'a step of the unwind failing ends failed, naming both errors',
        rec: record('waiting', err('pods-not-ready', 'pod x: CrashLoopBackOff', 'waiting')),
        obs: { colours: colours(blue1, green2Starting), failure: { action: 'delete-colour', code: 'kube-api-failed', message: '500' } },
        want: { phase: 'failed', errorHas: 'pod x: CrashLoopBackOff; then delete-colour failed while unwinding: 500' },
      },
      { name: 'a final record has nothing left to do', rec: record('done'), obs: { colours: colours(null, green2) }, want: { phase: 'done', actions: [] } },
    ]),
  )('%s', (_, row) => check(row));
});

describe('decide: rollback', () => {
  // Live green v2 back to blue v1 (the recorded previous).
  const rollback = (phase: DeployRecord['phase'], over: Partial<DeployRecord> = {}) =>
    record(phase, { kind: 'rollback', version: 'v1', fromColour: 'green', fromVersion: 'v2', toColour: 'blue', skipVerify: true, requestedBy: bob, ...over });
  it.each(
    rows([
      {
        name: 'the previous colour still runs (retention): switch straight back',
        rec: rollback('discovering'),
        obs: { colours: colours(blue1, green2), fleet: fleet('green') },
        want: { phase: 'switching', actions: [{ kind: 'switch', colour: 'blue', reason: 'deploy', from: 'green' }], noteHas: 'switching straight back' },
      },
      {
        name: 'the previous colour is gone: re-create it from the recorded template',
        rec: rollback('discovering'),
        obs: { colours: colours(null, green2), fleet: fleet('green') },
        want: { phase: 'creating', actions: [{ kind: 'create-colour', colour: 'blue', version: 'v1', from: { kind: 'previous' } }] },
      },
      {
        name: 'a previous colour not fully Ready is waited for, never switched to at once',
        rec: rollback('discovering'),
        obs: { colours: colours(rs('v1', 3, 1), green2), fleet: fleet('green') },
        want: { phase: 'waiting', actions: [{ kind: 'wait-ready', colour: 'blue', timeoutMs: 600_000 }] },
      },
      {
        name: 'a colour of another version in the way of a rollback is replaced',
        rec: rollback('discovering'),
        obs: { colours: colours(rs('v0', 3), green2), fleet: fleet('green') },
        want: { phase: 'creating', actions: [{ kind: 'delete-colour', colour: 'blue' }, { kind: 'create-colour', colour: 'blue', version: 'v1', from: { kind: 'previous' } }] },
      },
      {
        name: 'a straight-switch rollback that fails keeps the retained colour it did not create',
        rec: rollback('switching', err('switch-commit-failed', 'nginx -t failed on node-b', 'switching')),
        obs: { colours: colours(blue1, green2), fleet: fleet('green') },
        want: { phase: 'failed', actions: [], live: { colour: 'green', version: 'v2' } },
      },
      {
        name: 'a rollback that re-created its colour removes it when the switch fails',
        rec: rollback('switching', {
          ...err('switch-commit-failed', 'nginx -t failed on node-b', 'switching'),
          transitions: [{ phase: 'pending', at: iso(-60), by: bob }, { phase: 'creating', at: iso(-30) }, { phase: 'switching', at: iso(0) }],
        }),
        obs: { colours: colours(blue1, green2), fleet: fleet('green') },
        want: { phase: 'switching', actions: [{ kind: 'delete-colour', colour: 'blue' }] },
      },
      {
        name: 'a rollback ends rolled-back',
        rec: rollback('retiring'),
        obs: { colours: colours(blue1, null) },
        want: { phase: 'rolled-back', live: { colour: 'blue', version: 'v1' } },
      },
    ]),
  )('%s', (_, row) => check(row));
});

describe('decide: a readiness loss, recorded', () => {
  it('is written once, when first seen: waiting on within the grace records nothing', () => {
    const r = record('draining', { switchedAt: iso(0), drainUntil: iso(30), notReadySince: iso(5) });
    const d = decide(r, { colours: colours(blue1, rs('v2', 3, 1)) }, at(20), appConfig());
    expect(decisionRecords(r, d)).toBe(false);
  });

  it('is gone from the record once Ready again is recorded', () => {
    const r = record('verifying', { verifyUntil: iso(3600), notReadySince: iso(5) });
    const d = decide(r, { colours: colours(blue1, green2) }, at(12), appConfig());
    const after = applyDecision({ ...emptyAppState('blog'), inFlight: r }, d, at(12), alice).inFlight!;
    expect(JSON.parse(JSON.stringify(after))).not.toHaveProperty('notReadySince');
    expect(after.transitions.at(-1)).toMatchObject({ phase: 'verifying', note: 'blog-green Ready again (3/3 Ready) after 7s' });
  });
});

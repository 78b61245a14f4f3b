import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirm } from '../../src/cli/confirm.js';
import { ProgressPrinter } from '../../src/cli/progress-printer.js';
import { formatDuration } from '../../src/deploy/wording.js';
import type { DeployEvent } from '../../src/deploy/deploy-event.js';
import type { DeployRecord } from '../../src/state/app-state.js';

const about = { app: 'blog', deployId: 'blog-1a2b3c4d' };
const alice = { via: 'cli' as const, id: 'alice' };
const agent = { via: 'agent' as const, id: 'host-1' };
const done: DeployRecord = {
  ...about,
  id: about.deployId,
  kind: 'deploy',
  version: 'v2',
  fromColour: 'blue',
  fromVersion: 'v1',
  toColour: 'green',
  phase: 'done',
  requestedBy: alice,
  requestedAt: '2026-01-01T10:00:00.000Z',
  finishedAt: '2026-01-01T10:01:02.000Z',
  skipVerify: false,
  transitions: [],
};

describe('ProgressPrinter', () => {
  it('prints one plain line per phase change, counts only when they change, timings and the mixed window', () => {
    const out: string[] = [];
    const printer = new ProgressPrinter((l) => out.push(l));
    const events: DeployEvent[] = [
      { ...about, type: 'timing', phase: 'pending', ms: 12 },
      { ...about, type: 'phase', from: 'pending', to: 'discovering', by: alice, at: '2026-01-01T10:00:00.000Z' },
      { ...about, type: 'pods', colour: 'green', ready: 3, desired: 5 },
      { ...about, type: 'pods', colour: 'green', ready: 3, desired: 5 },
      { ...about, type: 'pods', colour: 'green', ready: 5, desired: 5 },
      { ...about, type: 'timing', phase: 'waiting', ms: 4200 },
      { ...about, type: 'phase', from: 'waiting', to: 'switching', by: agent, at: '2026-01-01T10:00:05.000Z' },
      { ...about, type: 'nodes', colour: 'green', switched: 7, total: 10 },
      { ...about, type: 'nodes', colour: 'green', switched: 10, total: 10, mixedWindowMs: 41 },
      { ...about, type: 'error', phase: 'draining', code: 'kube-api-failed', message: 'API down' },
      { ...about, type: 'finished', phase: 'done', record: done },
    ];
    events.forEach((e) => printer.print(e));
    expect(out).toEqual([
      'blog-1a2b3c4d  pending → discovering  (pending took 12 ms)  by alice (cli)',
      'blog-1a2b3c4d  pods 3/5 ready (green)',
      'blog-1a2b3c4d  pods 5/5 ready (green)',
      'blog-1a2b3c4d  waiting → switching  (waiting took 4.2 s)',
      'blog-1a2b3c4d  nodes 7/10 switched to green',
      'blog-1a2b3c4d  nodes 10/10 switched to green, mixed window 41 ms',
      'blog-1a2b3c4d  error in draining [kube-api-failed]: API down',
      'blog-1a2b3c4d  finished: done: green v2 is live (after 1m 02s)',
    ]);
  });

  it('adds the lines a command asks for after an event', () => {
    const out: string[] = [];
    const printer = new ProgressPrinter((l) => out.push(l), (e) => (e.type === 'phase' && e.to === 'verifying' ? ['switchyard promote blog'] : []));
    printer.print({ ...about, type: 'phase', from: 'waiting', to: 'verifying', by: agent, at: '2026-01-01T10:00:00.000Z' });
    expect(out).toEqual(['blog-1a2b3c4d  waiting → verifying', 'blog-1a2b3c4d  switchyard promote blog']);
  });

  it('says when the new colour loses Ready pods and gets them back, and what to do after an error or a stop', () => {
    const out: string[] = [];
    const printer = new ProgressPrinter((l) => out.push(l));
    const since = '2026-01-01T10:00:05.000Z';
    printer.print({ ...about, type: 'readiness', phase: 'verifying', colour: 'green', change: 'lost', ready: 2, desired: 3, since, until: '2026-01-01T10:00:35.000Z' });
    printer.print({ ...about, type: 'readiness', phase: 'verifying', colour: 'green', change: 'regained', ready: 3, desired: 3, since });
    printer.print({ ...about, type: 'error', phase: 'retiring', code: 'kube-api-failed', message: 'cannot delete ReplicaSet blog/blog-blue: 403', hint: 'grant delete on replicasets' });
    printer.print({ ...about, type: 'stopped', phase: 'waiting', reason: 'could not read the ReplicaSets of blog: ECONNREFUSED', hint: 'check that the cluster is up' });
    expect(out).toEqual([
      'blog-1a2b3c4d  readiness lost in verifying: 2/3 pods of green Ready; the deploy fails unless all are Ready again by 2026-01-01T10:00:35.000Z',
      'blog-1a2b3c4d  readiness back: 3/3 pods of green Ready (lost at 2026-01-01T10:00:05.000Z)',
      'blog-1a2b3c4d  error in retiring [kube-api-failed]: cannot delete ReplicaSet blog/blog-blue: 403 — grant delete on replicasets',
      'blog-1a2b3c4d  stopped in waiting: could not read the ReplicaSets of blog: ECONNREFUSED — check that the cluster is up',
    ]);
  });

  it.each([
    [420, '420 ms'],
    [4200, '4.2 s'],
    [187_000, '3m 07s'],
    [7_500_000, '2h 05m'],
  ])('formats %i ms as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('confirm', () => {
  const ask = (input: Readable, signal = new AbortController().signal) => confirm('deploy blog v2?', input, { write: () => true }, signal);

  it.each([
    ['y\n', true],
    ['YES\n', true],
    ['n\n', false],
    ['\n', false],
    ['', false],
  ])('answer %j is %s', async (answer, expected) => {
    expect(await ask(Readable.from([answer]))).toBe(expected);
  });

  it('an interrupt while asking is a no', async () => {
    const interrupt = new AbortController();
    const waiting = ask(new Readable({ read() {} }), interrupt.signal);
    interrupt.abort();
    expect(await waiting).toBe(false);
  });
});

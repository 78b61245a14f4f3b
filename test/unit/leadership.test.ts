import { describe, expect, it } from 'vitest';
import { Leadership, type LeaderLeasePort } from '../../src/agent/leadership.js';
import { leaderCheck } from '../../src/api/leader-check.js';
import type { LeaderClaim } from '../../src/cluster/leader-lease.js';
import { createLogger } from '../../src/log/logger.js';
import { FakeClock } from '../deploy/fake-ports.js';

const RENEW_MS = 10_000; // a 30 s lease, renewed every third of it
const RETRY_MS = 2_000;
const LEASE_MS = 30_000;
const self = { identity: 'agent-a', instance: 'p1' };
const other = { identity: 'agent-b', instance: 'p2' };
const follows: LeaderClaim = { leading: false, leader: other, expiresInSeconds: 30 };

/** The leadership lease answering as each test scripts it, by claim number (0: the first claim). */
class ScriptedLease implements LeaderLeasePort {
  claims = 0;
  releases = 0;
  private readonly answer: (n: number) => Promise<LeaderClaim>;
  constructor(answer: (n: number) => Promise<LeaderClaim>) {
    this.answer = answer;
  }
  claim(): Promise<LeaderClaim> {
    return this.answer(this.claims++);
  }
  release(): Promise<void> {
    this.releases++;
    return Promise.resolve();
  }
}

/** A Leadership on a fake clock whose work writes when it started and stopped (ms since the start) to a journal. */
function given(answer: (n: number) => Promise<LeaderClaim>, work: { failsToStart?: boolean } = {}) {
  const clock = new FakeClock();
  const t0 = clock.now().getTime();
  const at = () => clock.now().getTime() - t0;
  const journal: string[] = [];
  const lease = new ScriptedLease(answer);
  const leadership = new Leadership(lease, {
    clock,
    self,
    renewMs: RENEW_MS,
    retryMs: RETRY_MS,
    log: createLogger({ level: 'silent' }),
    onElected: (term) => {
      journal.push(`started ${at()}`);
      const stopped = new Promise<void>((resolve) =>
        term.addEventListener('abort', () => {
          // What the API would answer at this very moment: leading must already be false.
          journal.push(`stopped ${at()}${leadership.view.leading ? ' while still leading' : ''}`);
          resolve();
        }),
      );
      return { started: work.failsToStart ? Promise.reject(new Error('slack: invalid_auth')) : Promise.resolve(), stopped };
    },
  });
  const stopping = new AbortController();
  return { clock, at, journal, lease, leadership, stopping, start: () => leadership.start(stopping.signal) };
}

const leads = (): Promise<LeaderClaim> => Promise.resolve({ leading: true });
const never = (): Promise<LeaderClaim> => new Promise(() => undefined);

describe('Leadership: one agent leads, and stops leading the moment it cannot be sure it does', () => {
  it('leads while it renews; an orderly stop ends the work, then releases the lease for the next agent', async () => {
    const g = given(leads);
    const { running } = await g.start();
    expect(g.leadership.view).toEqual({ leading: true, leader: self, retryAfterSeconds: 1 });
    await g.clock.sleep(35_000);
    expect(g.lease.claims).toBe(4); // the first claim, then renewals at 10, 20 and 30 s
    expect(g.journal).toEqual(['started 0']);
    g.stopping.abort();
    await running;
    expect(g.journal).toEqual(['started 0', 'stopped 35000']);
    expect(g.lease.releases).toBe(1);
    expect(g.leadership.view.leading).toBe(false);
  });

  it.each([
    ['hangs (the agent cut off from the cluster)', never],
    ['fails every time (the API answering 500)', () => Promise.reject(new Error('500'))],
  ])('a renewal that %s: the work stops two renew periods after the last successful claim was sent, before the lease can expire for anyone else', async (_, renewal) => {
    const g = given((n) => (n === 0 ? leads() : renewal()));
    const { running } = await g.start();
    await g.clock.sleep(25_000);
    expect(g.journal).toEqual(['started 0', `stopped ${2 * RENEW_MS}`]);
    expect(2 * RENEW_MS).toBeLessThan(LEASE_MS);
    expect(g.leadership.view.leading).toBe(false);
    g.stopping.abort();
    await running;
  });

  it('a renewal that finds another holder stops the work at once, and the view names the new leader', async () => {
    const g = given((n) => (n === 0 ? leads() : Promise.resolve(follows)));
    const { running } = await g.start();
    await g.clock.sleep(RENEW_MS + 1);
    expect(g.journal).toEqual(['started 0', `stopped ${RENEW_MS}`]);
    expect(g.leadership.view).toEqual({ leading: false, leader: other, retryAfterSeconds: 1 });
    // It stays a follower, looking every retry period.
    const before = g.lease.claims;
    await g.clock.sleep(3 * RETRY_MS);
    expect(g.lease.claims - before).toBe(3);
    expect(g.leadership.view).toMatchObject({ leading: false, leader: other });
    g.stopping.abort();
    await running;
  });

  it('a follower names the leader, and takes over (starting the work) at the claim that wins', async () => {
    const g = given((n) => (n < 5 ? Promise.resolve({ ...follows, expiresInSeconds: 30 - 2 * n }) : leads()));
    const { running } = await g.start();
    expect(g.leadership.view).toEqual({ leading: false, leader: other, retryAfterSeconds: 5 });
    await g.clock.sleep(4 * RETRY_MS + 1);
    expect(g.journal).toEqual([]);
    await g.clock.sleep(RETRY_MS);
    expect(g.journal).toEqual([`started ${5 * RETRY_MS}`]);
    expect(g.leadership.view).toEqual({ leading: true, leader: self, retryAfterSeconds: 1 });
    g.stopping.abort();
    await running;
    expect(g.journal).toEqual([`started ${5 * RETRY_MS}`, `stopped ${5 * RETRY_MS + 1}`]);
  });

  it("the leader's work failing to start at the first claim: start rejects, the work is stopped and the lease released", async () => {
    const g = given(leads, { failsToStart: true });
    await expect(g.start()).rejects.toThrow('invalid_auth');
    expect(g.journal).toEqual(['started 0', 'stopped 0']);
    expect(g.lease.releases).toBe(1);
    expect(g.leadership.view.leading).toBe(false);
  });
});

describe('leaderCheck: a write sent to an agent that does not lead', () => {
  it.each([
    [{ leading: false, leader: other, retryAfterSeconds: 3 }, 'agent-a does not lead; agent-b does (process p2)', 'send it again in 3 s with the same Idempotency-Key, or to agent-b'],
    [{ leading: false, leader: null, retryAfterSeconds: 1 }, 'agent-a does not lead; no agent does right now (an election is under way)', 'send it again in 1 s with the same Idempotency-Key'],
  ])('is refused as not-leader, naming who leads and when to try again (%#)', (view, message, hint) => {
    expect(() => leaderCheck(() => view, 'agent-a')()).toThrow(expect.objectContaining({ code: 'not-leader', message, hint, details: { leader: view.leader?.identity ?? null, retryAfterSeconds: view.retryAfterSeconds } }));
  });

  it('passes on the leader', () => {
    expect(leaderCheck(() => ({ leading: true, leader: self, retryAfterSeconds: 1 }), 'agent-a')()).toBeUndefined();
  });
});

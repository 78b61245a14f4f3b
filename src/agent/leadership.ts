import type { LeaderClaim, LeaderName } from '../cluster/leader-lease.js';
import { keepLease } from '../deploy/keep-lease.js';
import type { Clock } from '../deploy/ports.js';
import type { Logger } from '../log/logger.js';

/** The leadership Lease as the loop needs it (LeaderLease in the cluster; a fake in unit tests). */
export interface LeaderLeasePort {
  /** Renews it while this process holds it, takes it when free; says who leads otherwise. */
  claim(): Promise<LeaderClaim>;
  /** Lets another agent take over at once. */
  release(): Promise<void>;
}

/** What this agent knows of the leadership now: for /readyz and the answer to a write sent to a follower. */
export interface LeadershipView {
  /** This process leads: it may act (Slack, writes, passes). */
  leading: boolean;
  /** Who leads as last seen (this agent itself while leading); null while nobody is known to. */
  leader: LeaderName | null;
  /** When a client should try a write again: soon, as the leader may be reached then, or this agent lead. */
  retryAfterSeconds: number;
}

export interface LeadershipOptions {
  clock: Clock;
  /** This agent, as the view names it while it leads. */
  self: LeaderName;
  /** How often the leader renews (a third of the lease: it stops leading after two periods without one). */
  renewMs: number;
  /** How often a follower looks whether the leader is gone. */
  retryMs: number;
  log: Logger;
  /**
   * Starts the leader's work. `term` aborts the moment this agent stops
   * leading (the lease lost, or the agent stopping); the work must stop with
   * it. `started` is awaited for the first claim, so a failure to start
   * surfaces at start; `stopped` before the next claim and before the lease
   * is released, so two agents' work never overlaps on purpose.
   */
  onElected: (term: AbortSignal) => { started: Promise<void>; stopped: Promise<void> };
}

/** Longest a refused write is told to wait: behind a Service, the next try may reach the leader. */
const MAX_RETRY_AFTER_SECONDS = 5;

/**
 * Leader election among the `switchyard serve` agents (docs/architecture.md:
 * one leader). Each agent claims the leadership Lease; the one that holds it
 * runs the leader's work (onElected) and renews every `renewMs` with
 * keepLease, the same fail-closed renewal as the deploy locks: once no
 * renewal succeeded for two periods (before any other agent may take the
 * Lease over), or another agent holds it, the work is stopped at once.
 * Followers claim every `retryMs`, and take over once they have seen the
 * Lease unrenewed for its whole duration. An orderly stop releases it.
 *
 * @example
 * const leadership = new Leadership(new LeaderLease(kube, { identity, instance, namespace, durationSeconds: 30 }), {
 *   clock: systemClock, self: { identity, instance }, renewMs: 10_000, retryMs: 2_000, log,
 *   onElected: (term) => ({ started: slack.start(), stopped: once(term, 'abort').then(() => slack.stop()) }),
 * });
 * const { running } = await leadership.start(stopping.signal);  // after the first claim
 * leadership.view;   // { leading: true, leader: { identity, instance }, retryAfterSeconds: 1 }
 * stopping.abort();
 * await running;     // the work stopped, the lease released
 */
export class Leadership {
  private readonly lease: LeaderLeasePort;
  private readonly options: LeadershipOptions;
  private current: LeadershipView = { leading: false, leader: null, retryAfterSeconds: 1 };
  /** The current term while this agent leads: settles once it ended (the view says so) and the work has stopped. */
  private term: Promise<void> | undefined;

  constructor(lease: LeaderLeasePort, options: LeadershipOptions) {
    this.lease = lease;
    this.options = options;
  }

  get view(): LeadershipView {
    return this.current;
  }

  /**
   * Makes the first claim (and starts the work if it wins), then keeps
   * claiming until `signal` aborts; `running` settles once the loop ended and
   * the lease was released.
   */
  async start(signal: AbortSignal): Promise<{ running: Promise<void> }> {
    const first = await this.attempt(signal);
    if (first.leading) await this.lead(first.sentAt, signal, true);
    return { running: this.loop(signal) };
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { clock, retryMs, log } = this.options;
    while (!signal.aborted) {
      if (this.term) {
        await this.term;
        this.term = undefined;
        continue;
      }
      await clock.sleep(retryMs, signal);
      if (signal.aborted) break;
      const claim = await this.attempt(signal);
      if (claim.leading) await this.lead(claim.sentAt, signal, false);
    }
    // Handing over: the next agent need not wait out the lease. A release that hangs must not keep the agent from stopping.
    const gaveUp = new AbortController();
    await Promise.race([this.lease.release().catch((err: unknown) => log.warn({ err }, 'could not release the leadership lease')), clock.sleep(retryMs, gaveUp.signal)]);
    gaveUp.abort();
  }

  /** Leads: flips the view, starts the work, and renews until the lease is lost or `signal` aborts; then the work's term ends. */
  private async lead(sentAt: number, signal: AbortSignal, surfaceErrors: boolean): Promise<void> {
    const { clock, renewMs, log, self } = this.options;
    const ended = new AbortController();
    const term = ended.signal;
    const lost = (why: string, leader: LeaderName | null = null) => {
      if (term.aborted) return;
      signal.removeEventListener('abort', stopping);
      // Fail closed: the view flips before the work hears of it, so no write is accepted from here on.
      this.current = { leading: false, leader, retryAfterSeconds: 1 };
      ended.abort();
      log.warn(`no longer the leader: ${why}`);
    };
    const stopping = () => lost('the agent is stopping');
    signal.addEventListener('abort', stopping, { once: true });
    this.current = { leading: true, leader: self, retryAfterSeconds: 1 };
    log.info('elected leader');
    // A renewal that fails is tried again (keepLease); one that finds another holder ends the term at once.
    const renew = () =>
      this.lease.claim().then((claim) => {
        if (!claim.leading) lost(`${claim.leader?.identity ?? 'another agent'} holds the leadership lease`, claim.leader);
        return claim.leading;
      });
    const renewing = keepLease(renew, { clock, everyMs: renewMs, signal: term, heldSince: sentAt, onLost: () => lost('it could not renew its lease in time') });
    const work = this.options.onElected(term);
    // keepLease ends only once the term has (lost, or the agent stopping).
    this.term = renewing.then(() => work.stopped);
    try {
      await work.started;
    } catch (err) {
      if (!surfaceErrors) {
        log.error({ err }, "the leader's work failed to start");
        return;
      }
      lost('its work failed to start');
      await this.term;
      this.term = undefined;
      await this.lease.release().catch(() => undefined);
      throw err;
    }
  }

  /**
   * A follower's claim; a failure (the cluster unreachable) counts as not
   * leading, and is logged. One that hangs is given up after a renew period,
   * so the agent can still stop: should it land later, this agent holds the
   * lease without leading, and its next claim renews it and leads.
   */
  private async attempt(signal: AbortSignal): Promise<{ leading: boolean; sentAt: number }> {
    const { clock, log, renewMs } = this.options;
    const sentAt = clock.now().getTime();
    const gaveUp = new AbortController();
    try {
      const claim = await Promise.race([
        this.lease.claim(),
        clock.sleep(renewMs, AbortSignal.any([signal, gaveUp.signal])).then(() => Promise.reject(new Error(`no answer within ${renewMs} ms`))),
      ]);
      if (!claim.leading) this.current = { leading: false, leader: claim.leader, retryAfterSeconds: Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, claim.expiresInSeconds)) };
      return { leading: claim.leading && !signal.aborted, sentAt };
    } catch (err) {
      if (!signal.aborted) log.warn({ err }, 'claiming the leadership lease failed');
      return { leading: false, sentAt };
    } finally {
      gaveUp.abort();
    }
  }
}

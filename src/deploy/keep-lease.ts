import type { Clock } from './ports.js';

/**
 * Renews a lease (an app's lock, the agents' leadership) every `everyMs`
 * until `signal` aborts, and calls `onLost` once it can no longer be sure it
 * holds it. A renewal that fails is tried again half a period later, but the
 * lease counts as lost once none succeeded for two periods (`everyMs` is kept
 * well under the lease, so this is before another agent may take it), or at
 * once when another holder has it. Periods count from when a renewal was
 * sent, not answered; the first from `heldSince` (ms on `clock`, default
 * now), when the claim that won the lease was sent. A renewal that hangs
 * counts as failed at that point too, and never keeps the caller from
 * ending: the returned promise settles soon after `signal` aborts.
 *
 * @example
 * const stop = new AbortController();
 * const renewing = keepLease(() => lock.renew('blog', holder), { clock, everyMs: 10_000, signal: stop.signal, onLost: () => halt() });
 * // ... act while it holds ...
 * stop.abort();
 * await renewing;
 */
export async function keepLease(
  renew: () => Promise<boolean>,
  options: { clock: Clock; everyMs: number; signal: AbortSignal; onLost: () => void; heldSince?: number },
): Promise<void> {
  const { clock, everyMs, signal } = options;
  let renewedAt = options.heldSince ?? clock.now().getTime();
  let pause = everyMs;
  while (!signal.aborted) {
    await clock.sleep(pause, signal);
    if (signal.aborted) return;
    const startedAt = clock.now().getTime();
    const mustRenewBy = renewedAt + 2 * everyMs;
    const timer = new AbortController();
    const outcome = await Promise.race([
      renew().then((ok) => (ok ? 'renewed' : 'lost'), () => 'failed'),
      clock.sleep(Math.max(0, mustRenewBy - startedAt), AbortSignal.any([signal, timer.signal])).then(() => 'failed'),
    ]);
    timer.abort();
    if (signal.aborted) return;
    if (outcome === 'renewed') {
      renewedAt = startedAt;
      pause = everyMs;
    } else if (outcome === 'lost' || clock.now().getTime() >= mustRenewBy) {
      options.onLost();
      return;
    } else pause = everyMs / 2;
  }
}

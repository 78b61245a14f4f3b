import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardError } from '../../errors/switchyard-error.js';
import { interruptible } from './interruptible.js';

/** Slack edits a message at most about once a second; every state the demo waits for comes well within this. */
const WAIT_MS = 60_000;
const POLL_MS = 25;

/**
 * Looks every 25 ms until `check` answers something, and answers that. After
 * a minute it fails, saying what never happened (`what`, and `hint()` for
 * what there is instead); `signal` ends the wait with Interrupted.
 *
 * @example
 * const m = await pollUntil(() => slack.messages('#deploys')[0], 'a message to be posted', signal);
 */
export async function pollUntil<T>(check: () => T | undefined, what: string, signal: AbortSignal, hint?: () => string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      throw new SwitchyardError('internal', `waited ${WAIT_MS / 1000} s for ${what}`, hint ? { hint: hint() } : {});
    }
    await interruptible(sleep(POLL_MS), signal);
  }
}

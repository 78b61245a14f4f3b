import type { LeadershipView } from '../agent/leadership.js';
import { SwitchyardError } from '../errors/switchyard-error.js';

/** On a write refused by a follower: the identity of the agent that leads, when one is known. */
export const LEADER_HEADER = 'x-switchyard-leader';

/**
 * The API's answer to a write sent to an agent that does not lead: 503
 * `not-leader`, naming the leader (also in `X-Switchyard-Leader`) with a
 * `Retry-After`. Refused, not forwarded: a CI client retries a 503 with the
 * same Idempotency-Key (curl's `--retry` honours Retry-After), and behind a
 * Service the retry may reach the leader, or this agent once it leads.
 *
 * @example
 * const checkLeader = leaderCheck(() => server.leadership.view, agent.identity);
 * checkLeader(); // throws not-leader: "switchyard-2 does not lead; switchyard-1 does (process 4f3a9c2e)"
 */
export function leaderCheck(view: () => LeadershipView, self: string): () => void {
  return () => {
    const { leading, leader, retryAfterSeconds } = view();
    if (leading) return;
    const who = leader ? `${leader.identity} does${leader.instance ? ` (process ${leader.instance})` : ''}` : 'no agent does right now (an election is under way)';
    throw new SwitchyardError('not-leader', `${self} does not lead; ${who}`, {
      hint: `send it again in ${retryAfterSeconds} s with the same Idempotency-Key${leader ? `, or to ${leader.identity}` : ''}`,
      details: { leader: leader?.identity ?? null, retryAfterSeconds },
    });
  };
}

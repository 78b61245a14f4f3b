import type { LeadershipView } from '../agent/leadership.js';

/**
 * Why an agent's dashboard has no fleet check to show, other than that none
 * has run yet: only the leader runs the drift check (a follower's pages
 * name the leader, whose dashboard has it), and `agent.driftCheckSeconds: 0`
 * turns it off. Null while this agent checks the nodes itself.
 *
 * @example
 * fleetNote(() => server.leadership.view, config.agent.driftCheckSeconds)();
 * // 'checked by the leading agent, switchyard-1 (process 4f3a9c2e): see its dashboard'
 */
export function fleetNote(leadership: () => LeadershipView, driftCheckSeconds: number): () => string | null {
  return () => {
    if (driftCheckSeconds === 0) return 'not checked: the drift check is off (agent.driftCheckSeconds: 0); `switchyard check` reads the nodes';
    const { leading, leader } = leadership();
    if (leading) return null;
    if (!leader) return 'checked by the leading agent, once one is elected';
    return `checked by the leading agent, ${leader.identity}${leader.instance ? ` (process ${leader.instance})` : ''}: see its dashboard`;
  };
}

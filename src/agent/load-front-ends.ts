import { apiFrontEnd, type ApiFrontEnd } from '../api/api-front-end.js';
import { Metrics } from '../api/metrics.js';
import type { Secrets } from '../config/load-secrets.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../deploy/ports.js';
import type { Logger } from '../log/logger.js';
import type { AgentServer } from './agent-server.js';
import type { Agent } from './create-agent.js';

/**
 * Loads the front ends the config asks for into the agent's server: the
 * Slack app when `slack` is set (on the leader only), the HTTP API unless
 * `api.enabled` is false (on every agent; it takes writes only on the leader).
 * They share one set of metrics: Slack counts its Web API errors in it, the
 * API serves it. `switchyard serve` and the sandbox both build the agent so.
 * Bolt is loaded only when Slack is configured: it is most of an idle
 * agent's memory.
 *
 * @example
 * const { api } = await loadFrontEnds(server, agent, { config, secrets: loadSecrets(config, env), log, clock: systemClock });
 * await server.start();
 * if (api) console.log(`HTTP API listening on ${api.url}`);
 */
export async function loadFrontEnds(
  server: AgentServer,
  agent: Agent,
  deps: { config: Config; secrets: Secrets; log: Logger; clock: Clock },
): Promise<{ api?: ApiFrontEnd }> {
  const { config, secrets, log, clock } = deps;
  const metrics = new Metrics();
  if (config.slack && secrets.slack) {
    const slack = config.slack;
    const { slackFrontEnd } = await import('../chatops/slack-front-end.js');
    // Only the leader holds the Socket Mode connection: Slack spreads events over every connection an app opens.
    const slackSecrets = secrets.slack;
    server.loadWhileLeading(() => slackFrontEnd(agent, { config: { ...config, slack }, secrets: slackSecrets, log, clock, onApiError: (method, error) => metrics.slackApiError(method, error) }));
  }
  if (!config.api.enabled) return {};
  const api = apiFrontEnd(agent, { config, secrets, log, metrics, leadership: server.leadership });
  server.load(api);
  return { api };
}

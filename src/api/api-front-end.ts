import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from '../agent/create-agent.js';
import type { FrontEnd } from '../agent/agent-server.js';
import type { LeadershipView } from '../agent/leadership.js';
import type { Secrets } from '../config/load-secrets.js';
import type { Config } from '../config/schema.js';
import { dashboardRoutes } from '../dashboard/dashboard-routes.js';
import { fleetNote } from '../dashboard/fleet-note.js';
import { isLoopback, viewerCheck } from '../dashboard/viewer-check.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import type { Logger } from '../log/logger.js';
import { apiRouter } from './api-router.js';
import { bearerTokenCheck } from './bearer-token-check.js';
import { appHandlers } from './app-handlers.js';
import { deployEventsHandler } from './deploy-events-handler.js';
import { deployHandlers } from './deploy-handlers.js';
import { healthHandlers } from './health-handlers.js';
import { leaderCheck } from './leader-check.js';
import type { Metrics } from './metrics.js';

export interface ApiDeps {
  config: Config;
  secrets: Secrets;
  log: Logger;
  /** Shared with the Slack front end (see Metrics). */
  metrics: Metrics;
  /** Whether this agent leads (AgentServer.leadership): only the leader takes writes; /readyz tells both. */
  leadership: { readonly view: LeadershipView };
  /** Between heartbeats on an event stream (default 15 s, below the usual proxy idle timeouts of 30-60 s). */
  heartbeatMs?: number;
}

export type ApiFrontEnd = FrontEnd & {
  /** Where the API listens, once started: http://<host>:<port>. */
  readonly url: string;
};

/**
 * The HTTP API for CI, health and metrics (README: HTTP API), as a front end
 * of the agent: transport only, every request goes to the deploy service.
 * Listens on `config.api.host:port` (port 0 picks a free one; see `url`).
 * Runs on every agent: reads are served by any, writes only by the leader.
 *
 * @example
 * const api = apiFrontEnd(agent, { config, secrets: loadSecrets(config, env), log, metrics: new Metrics(), leadership: server.leadership });
 * server.load(api);
 * await server.start();
 * console.log(`HTTP API on ${api.url}`);
 */
export function apiFrontEnd(agent: Agent, deps: ApiDeps): ApiFrontEnd {
  const { config, secrets, log, metrics } = deps;
  const service = agent.service;
  const apiLog = log.child({ frontEnd: 'api' });
  const streams = new Set<() => void>();
  let listening: string | undefined;
  let unfollow: (() => void) | undefined;
  const url = (): string => {
    if (!listening) throw new Error('the HTTP API is not listening (start it first)');
    return listening;
  };
  const baseUrl = () => config.api.publicUrl?.replace(/\/+$/, '') ?? url();

  const server = createServer(
    apiRouter({
      api: [
        ...deployHandlers({ service, apps: config.apps, baseUrl }),
        deployEventsHandler({ service, bootId: randomBytes(4).toString('hex'), heartbeatMs: deps.heartbeatMs ?? 15_000, open: streams }),
        ...appHandlers({ service, baseUrl }),
      ],
      open: [
        ...healthHandlers({ service, apps: config.apps, metrics, readyTimeoutMs: 5_000, leadership: () => deps.leadership.view }),
        ...(config.api.dashboard
          ? dashboardRoutes({
              service,
              apps: config.apps,
              now: () => new Date(),
              fleetNote: fleetNote(() => deps.leadership.view, config.agent.driftCheckSeconds),
              check: viewerCheck({ tokens: [...secrets.viewerTokens, ...secrets.apiTokens], open: isLoopback(config.api.host) }),
              secureCookie: config.api.publicUrl?.startsWith('https:') ?? false,
              heartbeatMs: deps.heartbeatMs ?? 15_000,
              open: streams,
            })
          : []),
      ],
      checkToken: bearerTokenCheck(secrets.apiTokens),
      checkLeader: leaderCheck(() => deps.leadership.view, agent.identity),
      log: apiLog,
    }),
  );

  return {
    name: 'api',
    get url() {
      return url();
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        const failed = (err: NodeJS.ErrnoException) =>
          reject(
            new SwitchyardError('config-invalid', `the HTTP API cannot listen on ${config.api.host}:${config.api.port}: ${err.code ?? err.message}`, {
              hint: 'set api.port to a free port (or api.enabled: false), or stop what holds it',
              cause: err,
            }),
          );
        server.once('error', failed);
        server.listen(config.api.port, config.api.host, () => {
          server.off('error', failed);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
      listening = `http://${host}:${port}`;
      unfollow = metrics.follow(service);
      if (secrets.apiTokens.length === 0) apiLog.warn('no CI tokens (SWITCHYARD_API_TOKENS): every /api/v1 request is refused');
      if (config.api.dashboard && !isLoopback(config.api.host) && secrets.viewerTokens.length + secrets.apiTokens.length === 0) {
        apiLog.warn('no viewer or API tokens (SWITCHYARD_VIEWER_TOKENS): off loopback, nobody can open the dashboard');
      }
      apiLog.info({ url: listening }, 'HTTP API listening');
    },
    async stop() {
      unfollow?.();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Event streams never end on their own while a deploy waits: end them so the server can close.
      for (const end of [...streams]) end();
      await closed;
      listening = undefined;
    },
  };
}

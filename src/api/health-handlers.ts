import type { LeadershipView } from '../agent/leadership.js';
import type { Config } from '../config/schema.js';
import type { DeployService } from '../deploy/deploy-service.js';
import { asSwitchyardError } from '../errors/switchyard-error.js';
import type { Route } from './api-router.js';
import { sendJson } from './http-reply.js';
import type { Metrics } from './metrics.js';

export interface HealthHandlerDeps {
  service: DeployService;
  apps: Config['apps'];
  metrics: Metrics;
  /** How long /readyz waits for the cluster before it calls the agent not ready. */
  readyTimeoutMs: number;
  leadership: () => LeadershipView;
}

/**
 * /healthz (the process answers), /readyz (the agent can read every app's
 * state in the cluster; 503 naming what failed otherwise; either way which
 * agent leads and whether this one does: a follower is ready, it serves
 * every read) and /metrics
 * (Prometheus). None needs a token: probes and scrapers hold none, and none
 * of them changes anything.
 *
 * @example
 * // curl -s localhost:8080/readyz
 * // 200 {"ready":true,"leading":false,"leader":{"identity":"switchyard-1","instance":"4f3a9c2e"}}
 * // 503 {"ready":false,"reason":"blog: cannot read state ConfigMap blog/switchyard-blog: ...","leading":false,"leader":null}
 */
export function healthHandlers(deps: HealthHandlerDeps): Route[] {
  return [
    { method: 'GET', path: /^\/healthz$/, handle: async ({ res }) => sendJson(res, 200, { alive: true }) },
    {
      method: 'GET',
      path: /^\/readyz$/,
      async handle({ res, log }) {
        const problems = await unreadableApps(deps);
        const { leading, leader } = deps.leadership();
        if (problems.length === 0) return sendJson(res, 200, { ready: true, leading, leader });
        log.warn({ problems }, 'not ready');
        // Not an error of the request: the probe's answer, whatever the failure's own code.
        sendJson(res, 503, { ready: false, reason: problems.join('; '), leading, leader });
      },
    },
    {
      method: 'GET',
      path: /^\/metrics$/,
      async handle({ res }) {
        const text = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
    },
  ];
}

/** Each app whose state could not be read in time, with why. */
async function unreadableApps({ service, apps, readyTimeoutMs }: HealthHandlerDeps): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the cluster within ${readyTimeoutMs} ms`)), readyTimeoutMs);
  });
  try {
    const reads = await Promise.allSettled(apps.map((a) => Promise.race([service.readState(a.name), timeout])));
    return reads.flatMap((r, i) => (r.status === 'rejected' ? [`${apps[i]!.name}: ${asSwitchyardError(r.reason).message}`] : []));
  } finally {
    clearTimeout(timer);
  }
}

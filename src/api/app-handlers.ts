import type { DeployService } from '../deploy/deploy-service.js';
import type { DeployRecord } from '../state/app-state.js';
import type { CallerContext, Route } from './api-router.js';
import { deployUrls, deployView } from './deploy-view.js';
import { sendJson } from './http-reply.js';

export interface AppHandlerDeps {
  service: DeployService;
  baseUrl: () => string;
}

/**
 * GET /api/v1/apps/:app: the live and previous colour and version, the
 * deploy in flight and the last finished one, from the app's state record
 * in the cluster (no SSH: what the nodes mark live is `switchyard status`'s job),
 * and the freeze window that would refuse a deploy now (null when none).
 *
 * @example
 * // curl -H "Authorization: Bearer $TOKEN" $API/api/v1/apps/blog
 * // {"app":"blog","live":{"colour":"green","version":"2.0.0"},"previous":{"colour":"blue","version":"1.0.0"},"inFlight":null,"lastFinished":{...},"freeze":null}
 */
export function appHandlers(deps: AppHandlerDeps): Route<CallerContext>[] {
  const shown = (r: DeployRecord | null | undefined) => (r ? { ...deployView(r), ...deployUrls(deps.baseUrl(), r.id) } : null);
  return [
    {
      method: 'GET',
      path: /^\/api\/v1\/apps\/([^/]+)$/,
      async handle({ res, params }) {
        const s = await deps.service.readState(params[0]!);
        sendJson(res, 200, {
          app: s.app,
          live: s.live,
          previous: s.previous && { colour: s.previous.colour, version: s.previous.version },
          inFlight: shown(s.inFlight),
          lastFinished: shown(s.history[0]),
          freeze: deps.service.freeze(s.app),
        });
      },
    },
  ];
}

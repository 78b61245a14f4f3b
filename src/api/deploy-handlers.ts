import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { DeployService } from '../deploy/deploy-service.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import type { Actor } from '../state/app-state.js';
import type { CallerContext, Route } from './api-router.js';
import { deployUrls, deployView } from './deploy-view.js';
import { sendJson } from './http-reply.js';
import { readJsonBody } from './read-json-body.js';

/**
 * What CI sends to start a deploy. The version's pattern is the service's to
 * check (the same for every front end); the rest is checked here.
 */
const DeployRequest = z.strictObject({
  app: z.string(),
  version: z.string(),
  commit: z.string().regex(/^[0-9a-f]{7,40}$/, '7 to 40 lower-case hexadecimal digits (a git commit)').optional(),
  // Shown to people in Slack and the CLI: no control characters, nothing Slack reads as markup.
  requestedBy: z.string().regex(/^[^\p{C}<>&]{1,64}$/u, '1 to 64 printable characters, without < > &').optional(),
  /** Why this deploy must go through a freeze window (the token needs the overrideFreeze role); the service checks the words. */
  overrideFreeze: z.string().optional(),
});

/** Printable ASCII, as RFC 9110 allows in a header value; long enough for a CI run id and a job name. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** The header that marks an answer to a repeated Idempotency-Key: the deploy the first request started. */
export const REPLAYED_HEADER = 'idempotent-replayed';

export interface DeployHandlerDeps {
  service: DeployService;
  apps: Config['apps'];
  /** Where clients reach the API (publicUrl, or where it listens). */
  baseUrl: () => string;
}

/**
 * POST /api/v1/deploys (start a deploy, 202) and GET /api/v1/deploys/:id
 * (its record, read from the cluster only).
 *
 * @example
 * // curl -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
 * //   -H 'Idempotency-Key: run-42' -d '{"app":"blog","version":"20151025.143403"}' $API/api/v1/deploys
 * // 202 {"id":"blog-1a2b3c4d","app":"blog","version":"20151025.143403","held":false,"url":"...","eventsUrl":"..."}
 */
export function deployHandlers(deps: DeployHandlerDeps): Route<CallerContext>[] {
  return [
    { method: 'POST', path: /^\/api\/v1\/deploys$/, handle: (ctx) => startDeploy(deps, ctx) },
    {
      method: 'GET',
      path: /^\/api\/v1\/deploys\/([^/]+)$/,
      async handle({ res, params }) {
        const { record } = await deps.service.find(params[0]!);
        sendJson(res, 200, { ...deployView(record), ...deployUrls(deps.baseUrl(), record.id) });
      },
    },
  ];
}

function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new SwitchyardError('input-invalid', 'Idempotency-Key must be 1 to 255 printable ASCII characters', { hint: 'e.g. the CI run id and the app: 8812-blog' });
  }
  return key;
}

async function startDeploy(deps: DeployHandlerDeps, { req, res, caller, log }: CallerContext): Promise<void> {
  const idempotencyKey = idempotencyKeyOf(req);
  const parsed = DeployRequest.safeParse(await readJsonBody(req));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new SwitchyardError('input-invalid', `invalid deploy request: ${problems.join('; ')}`, {
      hint: 'send {"app": ..., "version": ..., "commit"?: ..., "requestedBy"?: ..., "overrideFreeze"?: ...}',
    });
  }
  const { app, version, commit, requestedBy, overrideFreeze } = parsed.data;
  const by: Actor = { via: 'ci', id: caller, name: requestedBy ?? caller };
  deps.service.authorize(by, 'deploy', app);
  const started = await deps.service.deploy(app, version, {
    by,
    hold: deps.apps.find((a) => a.name === app)?.requireStart === true,
    ...(commit ? { commit } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(overrideFreeze !== undefined ? { overrideFreeze } : {}),
  });
  const { record, replayed } = started;
  const urls = deployUrls(deps.baseUrl(), record.id);
  if (replayed) log.info({ deployId: record.id, app, version }, 'deploy request replayed');
  // Only what never changes, so a replayed request gets the very same body.
  sendJson(res, 202, { id: record.id, app, version, held: record.hold === true, ...urls }, {
    location: urls.url,
    ...(replayed ? { [REPLAYED_HEADER]: 'true' } : {}),
  });
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_TABLE } from '../errors/error-table.js';
import { asSwitchyardError, SwitchyardError } from '../errors/switchyard-error.js';
import type { Logger } from '../log/logger.js';
import { sendError } from './http-reply.js';
import { LEADER_HEADER } from './leader-check.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The path pattern's groups, in order (a deploy id, an app name). */
  params: string[];
  /** The log with this request's id, which error answers carry too (X-Request-Id). */
  log: Logger;
}

/** A request under /api/: it carried a valid CI token. */
export interface CallerContext extends RequestContext {
  /** The CI token's name. */
  caller: string;
}

export interface Route<C extends RequestContext = RequestContext> {
  method: 'GET' | 'POST';
  /** The whole path; its groups become `params`. */
  path: RegExp;
  /** Answers on ctx.res; a thrown error is answered as JSON with the status ERROR_TABLE gives its code. */
  handle(ctx: C): Promise<void>;
}

export interface RouterOptions {
  /** Everything under /api/: each request needs a CI token, checked before anything else. */
  api: Route<CallerContext>[];
  /** Health and metrics, for probes and scrapers that hold no token. */
  open: Route[];
  /** The token's name, or throws 'unauthenticated' (see bearerTokenCheck). */
  checkToken: (authorization: string | undefined) => string;
  /** Throws 'not-leader' unless this agent leads (see leaderCheck): asked before any /api/ route but a GET. */
  checkLeader: () => void;
  log: Logger;
}

/**
 * The API's request handler: finds the route (404 for an unknown path, 405
 * with Allow for a known one asked with another method), checks the token of
 * everything under /api/ first, so nobody without one learns which paths
 * exist, and answers every error as JSON. People get the error's message and
 * hint; the log gets the whole error; an unexpected one is answered as
 * "internal error" with the request id to find it in the log.
 *
 * @example
 * const server = createServer(apiRouter({ api: deployHandlers(...), open: healthHandlers(...), checkToken, checkLeader, log }));
 */
export function apiRouter(options: RouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { log } = options;
  return (req, res) => {
    const requestId = randomUUID().slice(0, 8);
    res.setHeader('x-request-id', requestId);
    const ctx: RequestContext = { req, res, params: [], log: log.child({ requestId }) };
    dispatch(options, ctx).catch((err: unknown) => answerError(ctx, requestId, err));
  };
}

async function dispatch(options: RouterOptions, ctx: RequestContext): Promise<void> {
  const path = new URL(ctx.req.url ?? '/', 'http://switchyard').pathname;
  if (path.startsWith('/api/')) {
    const caller = options.checkToken(ctx.req.headers.authorization);
    const { route, params } = find(options.api, ctx.req.method, path);
    // Only the leader acts: a write is refused before its body is read, so nothing of it is done twice or half.
    if (route.method !== 'GET') options.checkLeader();
    await route.handle({ ...ctx, params, caller, log: ctx.log.child({ caller }) });
  } else {
    const { route, params } = find(options.open, ctx.req.method, path);
    await route.handle({ ...ctx, params });
  }
}

function find<C extends RequestContext>(routes: Route<C>[], method: string | undefined, path: string): { route: Route<C>; params: string[] } {
  const matching = routes.flatMap((route) => {
    const m = route.path.exec(path);
    return m ? [{ route, params: m.slice(1) }] : [];
  });
  if (matching.length === 0) throw new SwitchyardError('route-unknown', `no such path: ${path}`, { hint: 'see README: HTTP API' });
  const found = matching.find((m) => m.route.method === method);
  if (!found) {
    const allow = matching.map((m) => m.route.method).join(', ');
    throw new SwitchyardError('method-not-allowed', `${path} takes ${allow}, not ${method}`, { details: { allow } });
  }
  return found;
}

function answerError(ctx: RequestContext, requestId: string, err: unknown): void {
  const e = asSwitchyardError(err);
  const status = ERROR_TABLE[e.code].http;
  const { req, res } = ctx;
  const entry = { err: e.cause ?? e, code: e.code, details: e.details, method: req.method, url: req.url, status };
  if (status >= 500) ctx.log.error(entry, e.message);
  else ctx.log.info(entry, e.message);
  if (res.headersSent) {
    // An event stream that already started: nothing more can be said on it.
    res.destroy();
    return;
  }
  const shown = e.code === 'internal' ? new SwitchyardError('internal', 'internal error', { hint: `the agent's log has it under requestId ${requestId}` }) : e;
  const headers: Record<string, string> = {};
  if (e.code === 'unauthenticated') headers['www-authenticate'] = 'Bearer realm="switchyard"';
  if (e.code === 'method-not-allowed') headers.allow = String(e.details.allow);
  // CI may wait the freeze out: Retry-After is when it ends.
  if (e.code === 'deploy-frozen') headers['retry-after'] = new Date(String(e.details.until)).toUTCString();
  if (e.code === 'not-leader') {
    headers['retry-after'] = String(e.details.retryAfterSeconds);
    if (typeof e.details.leader === 'string') headers[LEADER_HEADER] = e.details.leader;
  }
  // A body left unread (too large, or never read) is not read on: the connection closes after the answer.
  if (!req.complete) headers.connection = 'close';
  sendError(res, shown, headers);
}

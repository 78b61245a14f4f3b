import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './send-json.js';
import { SlackApiError } from './slack-api-error.js';
import { WEB_API_METHODS, type TokenKind, type WebApiContext } from './web-api-methods.js';

/** One Web API call as the stand-in saw it, and how it answered. */
export interface WebApiCall {
  method: string;
  /** The arguments, with `blocks`, `attachments` and `metadata` parsed from their JSON strings; without `token`. */
  args: Record<string, unknown>;
  /** Which token came: a known one, a `wrong` one, or `none`. */
  token: TokenKind | 'wrong' | 'none';
  /** 429 when a rate limit set by the test answered it. */
  status: 200 | 429;
  ok: boolean;
  error?: string;
  at: number;
}

/** Arguments the WebClient sends as JSON strings inside a form. */
const JSON_ARGUMENTS = ['blocks', 'attachments', 'metadata'];

/**
 * The Web API half of the stand-in: `POST /api/<method>` with a form or JSON
 * body and a bearer token (or a `token` form field), answered with Slack's
 * JSON (always HTTP 200, `ok` true or false) or with HTTP 429 and
 * `Retry-After` when a test set up a rate limit.
 */
export class WebApi {
  readonly calls: WebApiCall[] = [];
  private readonly rateLimits = new Map<string, { remaining: number; retryAfterSeconds: number }>();
  private readonly ctx: WebApiContext;

  constructor(ctx: WebApiContext) {
    this.ctx = ctx;
  }

  rateLimit(method: string, times: number, retryAfterSeconds: number): void {
    this.rateLimits.set(method, { remaining: times, retryAfterSeconds });
  }

  handle(req: IncomingMessage, res: ServerResponse, method: string, body: Buffer): void {
    const { args, token: given } = parseArguments(req, body);
    const token = this.tokenKind(given);
    const call: WebApiCall = { method, args, token, status: 200, ok: true, at: this.ctx.now() };
    this.calls.push(call);
    const limit = this.rateLimits.get(method);
    if (limit && limit.remaining > 0) {
      limit.remaining -= 1;
      Object.assign(call, { status: 429, ok: false, error: 'ratelimited' });
      return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfterSeconds) });
    }
    try {
      sendJson(res, 200, { ok: true, ...this.answer(method, args, token) });
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      Object.assign(call, { ok: false, error: err.error });
      this.ctx.problems.record({
        kind: err.error === 'unknown_method' ? 'unknown-method' : err.error.startsWith('invalid_blocks') ? 'block-kit' : 'refused',
        where: method,
        error: err.error,
        detail: err.message,
      });
      sendJson(res, 200, { ok: false, error: err.error, ...(err.messages.length > 0 ? { response_metadata: { messages: err.messages } } : {}) });
    }
  }

  private answer(method: string, args: Record<string, unknown>, token: WebApiCall['token']): Record<string, unknown> {
    const handler = WEB_API_METHODS[method];
    if (!handler) throw new SlackApiError('unknown_method', `the stand-in does not serve ${method}`);
    if (token === 'none') throw new SlackApiError('not_authed', 'no token: neither an Authorization header nor a token argument');
    if (token === 'wrong') throw new SlackApiError('invalid_auth', 'a token the workspace does not know');
    if (token !== handler.token) {
      throw new SlackApiError('not_allowed_token_type', `${method} takes the ${handler.token === 'app' ? 'app-level (xapp-)' : 'bot (xoxb-)'} token`);
    }
    return handler.call(args, this.ctx);
  }

  private tokenKind(token: string | undefined): WebApiCall['token'] {
    if (token === undefined) return 'none';
    if (token === this.ctx.workspace.botToken) return 'bot';
    if (token === this.ctx.workspace.appToken) return 'app';
    return 'wrong';
  }
}

function parseArguments(req: IncomingMessage, body: Buffer): { args: Record<string, unknown>; token: string | undefined } {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    // Slack reads a JSON body's token only from the Authorization header.
    const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    const args = typeof parsed === 'object' && parsed !== null ? { ...(parsed as Record<string, unknown>) } : {};
    delete args.token;
    return { args, token: bearer };
  }
  const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  const { token, ...rest } = form;
  const args: Record<string, unknown> = { ...rest };
  for (const key of JSON_ARGUMENTS) {
    const raw = rest[key];
    if (raw === undefined) continue;
    try {
      args[key] = JSON.parse(raw);
    } catch {
      // Left as the string: the method answers invalid_blocks_format, as Slack does.
    }
  }
  return { args, token: bearer ?? token };
}

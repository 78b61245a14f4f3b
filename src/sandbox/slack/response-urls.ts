import { randomInt } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson } from './send-json.js';
import { isJsonObject } from './json-object.js';
import { messageContent } from './message-content.js';
import type { MessageStore, StoredMessage } from './message-store.js';
import { SlackApiError } from './slack-api-error.js';
import { urlSecret } from './slack-ids.js';
import type { SlackProblems } from './slack-problems.js';
import type { SlackWorkspace } from './slack-workspace.js';

/** A slash command's response_url (`/commands/…`) or an interaction's (`/actions/…`). */
export type ResponseUrlKind = 'commands' | 'actions';

/** Where a response_url answers: the person, their channel, and for a click the message clicked. */
export interface ResponseUrlOrigin {
  kind: ResponseUrlKind;
  channel: string;
  user: string;
  message?: StoredMessage;
}

export type ResponseOutcome = 'ephemeral' | 'in_channel' | 'replaced' | 'deleted' | 'refused';

/** One post to a response_url, or a slash command's ack payload, and what Slack made of it. */
export interface ResponsePost {
  url: string;
  kind: ResponseUrlKind;
  /** `ack`: the body of the acknowledgement, which Slack shows as the command's first response. */
  via: 'response_url' | 'ack';
  body: Record<string, unknown>;
  outcome: ResponseOutcome;
  /** The message it posted, replaced or deleted. */
  message?: StoredMessage;
  error?: string;
  at: number;
}

interface ResponseUrlsContext {
  workspace: SlackWorkspace;
  store: MessageStore;
  problems: SlackProblems;
  now(): number;
}

interface Issued {
  url: string;
  origin: ResponseUrlOrigin;
  issuedAt: number;
  uses: number;
  /** A command's "original" is the last response it posted. */
  lastPosted?: StoredMessage;
}

/** Slack's documented limits: five posts within 30 minutes. */
const MAX_USES = 5;
const LIFETIME_MS = 30 * 60_000;

/**
 * response_urls served by the stand-in, under the same paths as Slack's
 * (`/commands/<team>/<id>/<secret>`, `/actions/<team>/<id>/<secret>`).
 * A JSON post publishes an ephemeral message (the default) or an in-channel
 * one (`response_type: 'in_channel'`), replaces (`replace_original`) or deletes
 * (`delete_original`) the original; its blocks are checked like chat.postMessage's.
 */
export class ResponseUrls {
  readonly posts: ResponsePost[] = [];
  private readonly issued = new Map<string, Issued>();
  private readonly ctx: ResponseUrlsContext;
  private readonly baseUrl: () => string;

  constructor(ctx: ResponseUrlsContext, baseUrl: () => string) {
    this.ctx = ctx;
    this.baseUrl = baseUrl;
  }

  issue(origin: ResponseUrlOrigin): string {
    const path = `/${origin.kind}/${this.ctx.workspace.team.id}/${randomInt(1e12, 1e13 - 1)}/${urlSecret()}`;
    const url = this.baseUrl() + path;
    this.issued.set(path, { url, origin, issuedAt: this.ctx.now(), uses: 0 });
    return url;
  }

  isResponsePath(path: string): boolean {
    return /^\/(commands|actions)\//.test(path);
  }

  /** A slash command's ack payload: Slack shows it as the first response, without using up the response_url. */
  acknowledged(url: string, body: Record<string, unknown>): ResponsePost {
    const issued = [...this.issued.values()].find((i) => i.url === url);
    if (!issued) throw new Error(`no response_url ${url} was issued`);
    return this.apply(issued, body, 'ack');
  }

  handle(res: ServerResponse, path: string, raw: Buffer): void {
    const issued = this.issued.get(path);
    if (!issued) {
      this.ctx.problems.record({ kind: 'response-url', where: path, error: 'invalid_url', detail: 'a response_url the stand-in never issued' });
      return sendJson(res, 404, { ok: false, error: 'invalid_url' });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (!isJsonObject(body)) {
      this.refuse(issued, {}, 'response_url', new SlackApiError('invalid_payload', 'the body is not a JSON object'));
      return sendJson(res, 400, { ok: false, error: 'invalid_payload' });
    }
    issued.uses += 1;
    const spent =
      issued.uses > MAX_USES
        ? new SlackApiError('used_url', `response_url used more than ${MAX_USES} times`)
        : this.ctx.now() - issued.issuedAt > LIFETIME_MS
          ? new SlackApiError('expired_url', 'response_url older than 30 minutes')
          : undefined;
    if (spent) {
      this.refuse(issued, body, 'response_url', spent);
      return sendJson(res, 404, { ok: false, error: spent.error });
    }
    const post = this.apply(issued, body, 'response_url');
    if (post.outcome === 'refused') sendJson(res, 400, { ok: false, error: post.error });
    else sendJson(res, 200, { ok: true });
  }

  private apply(issued: Issued, body: Record<string, unknown>, via: ResponsePost['via']): ResponsePost {
    const { origin } = issued;
    const where = `${origin.kind} response_url`;
    const original = origin.kind === 'actions' ? origin.message : issued.lastPosted;
    try {
      if (flag(body.delete_original) || flag(body.replace_original)) {
        if (!original || original.deleted) throw new SlackApiError('message_not_found', 'there is no original message (left) to replace or delete');
        if (flag(body.delete_original)) {
          original.deleted = true;
          return this.record(issued, body, via, 'deleted', original);
        }
        const content = messageContent(body, where, this.ctx.problems);
        this.ctx.store.update(original, { ...content, blocks: content.blocks ?? [] }, via);
        return this.record(issued, body, via, 'replaced', original);
      }
      const content = messageContent(body, where, this.ctx.problems);
      const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
      const posted =
        body.response_type === 'in_channel'
          ? this.ctx.store.post(origin.channel, content, via, threadTs)
          : this.ctx.store.postEphemeral(origin.channel, origin.user, content, via, threadTs);
      issued.lastPosted = posted;
      return this.record(issued, body, via, body.response_type === 'in_channel' ? 'in_channel' : 'ephemeral', posted);
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      return this.refuse(issued, body, via, err);
    }
  }

  private refuse(issued: Issued, body: Record<string, unknown>, via: ResponsePost['via'], err: SlackApiError): ResponsePost {
    this.ctx.problems.record({
      kind: err.error.startsWith('invalid_blocks') ? 'block-kit' : 'response-url',
      where: `${issued.origin.kind} ${via === 'ack' ? 'ack' : 'response_url'}`,
      error: err.error,
      detail: err.message,
    });
    const post: ResponsePost = { url: issued.url, kind: issued.origin.kind, via, body, outcome: 'refused', error: err.error, at: this.ctx.now() };
    this.posts.push(post);
    return post;
  }

  private record(issued: Issued, body: Record<string, unknown>, via: ResponsePost['via'], outcome: ResponseOutcome, message: StoredMessage): ResponsePost {
    const post: ResponsePost = { url: issued.url, kind: issued.origin.kind, via, body, outcome, message, at: this.ctx.now() };
    this.posts.push(post);
    return post;
  }
}

function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

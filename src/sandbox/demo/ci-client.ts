import { request, type IncomingMessage, type RequestOptions } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeployView } from '../../api/deploy-view.js';
import type { DeploySnapshot } from '../../deploy/deploy-feed.js';
import { isFinal } from '../../deploy/deploy-phases.js';

/** What CI asks for: one app at one version, from one commit, once per pipeline run. */
export interface CiDeployRequest {
  app: string;
  version: string;
  commit: string;
  /** The pipeline run and the app (README: A CI step), so a retried request starts nothing new. */
  idempotencyKey: string;
}

/** The request as CI sent it (the token shortened) and the API's answer. */
export interface CiExchange {
  request: { method: 'POST'; url: string; headers: Record<string, string>; body: Omit<CiDeployRequest, 'idempotencyKey'> };
  status: number;
  answer: Record<string, unknown>;
  /** The answers that said "try again" (503 with Retry-After: an agent that does not lead, an election under way) before this one. */
  retried: Array<{ status: number; answer: Record<string, unknown>; retryAfterSeconds: number }>;
}

/** How long CI keeps sending a refused request again: an election takes at most about a lease (30 s by default). */
const RETRY_FOR_MS = 120_000;

/** How long CI waits before picking a broken event stream up again (the README's step sleeps 5 s). */
const RECONNECT_MS = 5_000;

/** One Server-Sent Event of a deploy: a whole snapshot (README: HTTP API). */
export interface CiEvent {
  id: string;
  deploy: DeployView;
  progress: DeploySnapshot['progress'];
}

/** How CI's step ends: 0 only when the deploy is done, as the README's script exits. */
export interface CiEnd {
  phase: string | undefined;
  exitCode: 0 | 1;
  reason: string;
}

/**
 * CI's side of the HTTP API, as the README's CI step does it with curl:
 * start a deploy with a bearer token and an Idempotency-Key, then follow its
 * events to the end.
 *
 * @example
 * const ci = new CiClient(api.url, token);
 * const started = await ci.startDeploy({ app: 'blog', version: '2.0.0', commit: '3f2a9c1', idempotencyKey: 'run-7-blog' });
 * const end = await ci.follow(String(started.answer.eventsUrl), (e) => console.log(e.deploy.phase), signal);
 * process.exitCode = end.exitCode;
 */
export class CiClient {
  private readonly apiUrl: string;
  private readonly token: string;

  constructor(apiUrl: string, token: string) {
    this.apiUrl = apiUrl;
    this.token = token;
  }

  /** The request startDeploy sends, as a CI log may show it: the token cut short, as CI systems mask secrets. */
  request(r: CiDeployRequest): CiExchange['request'] {
    return {
      method: 'POST',
      url: `${this.apiUrl}/api/v1/deploys`,
      headers: { Authorization: `Bearer ${this.token.slice(0, 6)}…`, 'Content-Type': 'application/json', 'Idempotency-Key': r.idempotencyKey },
      body: { app: r.app, version: r.version, commit: r.commit },
    };
  }

  /**
   * Sends the deploy request; a 503 with Retry-After (README: several
   * agents) is sent again after that wait, with the same Idempotency-Key, so
   * however many times it is sent the deploy starts once.
   */
  async startDeploy(r: CiDeployRequest): Promise<CiExchange> {
    const shown = this.request(r);
    const headers = { ...shown.headers, Authorization: `Bearer ${this.token}` };
    const retried: CiExchange['retried'] = [];
    const giveUpAt = Date.now() + RETRY_FOR_MS;
    for (;;) {
      const res = await send(shown.url, { method: shown.method, headers }, JSON.stringify(shown.body));
      const answer = JSON.parse(await readAll(res)) as Record<string, unknown>;
      const status = res.statusCode ?? 0;
      const retryAfterSeconds = Number(res.headers['retry-after']);
      if (status !== 503 || !Number.isFinite(retryAfterSeconds) || Date.now() + retryAfterSeconds * 1000 > giveUpAt) return { request: shown, status, answer, retried };
      retried.push({ status, answer, retryAfterSeconds });
      await new Promise((resolve) => setTimeout(resolve, retryAfterSeconds * 1000));
    }
  }

  /**
   * Reads the deploy's event stream until the deploy ends, calling `onEvent`
   * for each snapshot. A stream that breaks off or ends early (the agent
   * restarting, a proxy's idle cut) is picked up again after `reconnectMs`
   * with Last-Event-ID, so only newer snapshots come, as the README's step
   * does; `onReconnect` is told why. Never rejects: a refusal (any answer
   * but 200) or `signal` is an end with exit code 1 and the reason.
   */
  async follow(
    eventsUrl: string,
    onEvent: (e: CiEvent) => void,
    signal: AbortSignal,
    options: { reconnectMs?: number; onReconnect?: (why: string) => void } = {},
  ): Promise<CiEnd> {
    let last: CiEvent | undefined;
    const end = (reason: string): CiEnd => {
      const phase = last?.deploy.phase;
      return { phase, exitCode: phase === 'done' ? 0 : 1, reason };
    };
    for (;;) {
      let why = 'the stream ended before the deploy did';
      try {
        const headers = { Authorization: `Bearer ${this.token}`, ...(last ? { 'Last-Event-ID': last.id } : {}) };
        const res = await send(eventsUrl, { headers, signal });
        if (res.statusCode !== 200) return end(`the API answered ${res.statusCode}: ${await readAll(res)}`);
        let buffer = '';
        res.setEncoding('utf8');
        for await (const chunk of res) {
          buffer += chunk as string;
          let at: number;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const event = parseEvent(buffer.slice(0, at));
            buffer = buffer.slice(at + 2);
            if (!event) continue;
            last = event;
            onEvent(event);
          }
        }
      } catch (err) {
        if (signal.aborted) return end('stopped');
        why = `the stream broke: ${(err as Error).message}`;
      }
      const phase = last?.deploy.phase;
      if (phase && isFinal(phase)) return end(`the deploy ended ${phase}`);
      options.onReconnect?.(why);
      try {
        await sleep(options.reconnectMs ?? RECONNECT_MS, undefined, { signal });
      } catch {
        return end('stopped');
      }
    }
  }
}

/** One request on a connection of its own, as curl makes it: nothing kept open once it ends. */
function send(url: string, options: RequestOptions, body?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, agent: false }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res.setEncoding('utf8')) text += chunk as string;
  return text;
}

/** One event block (`id:` and `data:` lines); undefined for a comment (the keep-alive). */
function parseEvent(block: string): CiEvent | undefined {
  const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
  const data = field('data');
  if (data === undefined) return undefined;
  const { deploy, progress } = JSON.parse(data) as Omit<CiEvent, 'id'>;
  return { id: field('id') ?? '', deploy, progress };
}

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
}

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

  async startDeploy(r: CiDeployRequest): Promise<CiExchange> {
    const request = this.request(r);
    const headers = { ...request.headers, Authorization: `Bearer ${this.token}` };
    const res = await fetch(request.url, { method: request.method, headers, body: JSON.stringify(request.body) });
    return { request, status: res.status, answer: (await res.json()) as Record<string, unknown> };
  }

  /**
   * Reads the deploy's event stream until it ends, calling `onEvent` for each
   * snapshot. Never rejects: a refusal, a broken stream or `signal` is an end
   * with exit code 1 and the reason.
   */
  async follow(eventsUrl: string, onEvent: (e: CiEvent) => void, signal: AbortSignal): Promise<CiEnd> {
    let last: CiEvent | undefined;
    const end = (reason: string): CiEnd => {
      const phase = last?.deploy.phase;
      return { phase, exitCode: phase === 'done' ? 0 : 1, reason };
    };
    try {
      const res = await fetch(eventsUrl, { headers: { authorization: `Bearer ${this.token}` }, signal });
      if (res.status !== 200 || !res.body) return end(`the API answered ${res.status}: ${await res.text()}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const event = parseEvent(buffer.slice(0, at));
          buffer = buffer.slice(at + 2);
          if (!event) continue;
          last = event;
          onEvent(event);
        }
      }
      const phase = last?.deploy.phase;
      return end(phase && isFinal(phase) ? `the deploy ended ${phase}` : 'the stream ended before the deploy did');
    } catch (err) {
      return end(signal.aborted ? 'stopped' : `the stream broke: ${(err as Error).message}`);
    }
  }
}

/** One event block (`id:` and `data:` lines); undefined for a comment (the keep-alive). */
function parseEvent(block: string): CiEvent | undefined {
  const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
  const data = field('data');
  if (data === undefined) return undefined;
  const { deploy, progress } = JSON.parse(data) as Omit<CiEvent, 'id'>;
  return { id: field('id') ?? '', deploy, progress };
}

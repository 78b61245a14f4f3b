import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { AgentServer } from '../../src/agent/agent-server.js';
import { apiFrontEnd, type ApiFrontEnd } from '../../src/api/api-front-end.js';
import { Metrics } from '../../src/api/metrics.js';
import { loadSecrets } from '../../src/config/load-secrets.js';
import { systemClock } from '../../src/deploy/system-clock.js';
import { createLogger } from '../../src/log/logger.js';
import type { Phase } from '../../src/state/app-state.js';
import { DeployStory, type StoryOptions } from '../support/deploy-story.js';

/** What an answer of the API looked like, with its JSON body (or its text when it is none). */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface SseEvent {
  id: string;
  data: any;
}

/**
 * A deploy story (a sandbox with real nodes and an agent) served the way
 * `switchyard serve` serves it: an AgentServer with the API front end loaded,
 * on a free port, with two CI tokens. Tests call it over real HTTP.
 *
 * @example
 * const s = await ApiStory.start({ app: { requireStart: true } });
 * const answer = await s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '2.0.0' } });
 * await s.close();
 */
export class ApiStory {
  readonly story: DeployStory;
  readonly api: ApiFrontEnd;
  readonly metrics: Metrics;
  /** The `ci` token, and the `release-bot` one (a different length). */
  readonly token: string;
  readonly otherToken: string;
  private readonly server: AgentServer;
  private closed: Promise<void> | undefined;

  private constructor(story: DeployStory, server: AgentServer, api: ApiFrontEnd, metrics: Metrics, tokens: [string, string]) {
    this.story = story;
    this.server = server;
    this.api = api;
    this.metrics = metrics;
    [this.token, this.otherToken] = tokens;
  }

  static async start(options: StoryOptions & { heartbeatMs?: number } = {}): Promise<ApiStory> {
    const { heartbeatMs, ...storyOptions } = options;
    const story = await DeployStory.start({ nodes: 1, ...storyOptions });
    try {
      const tokens: [string, string] = [randomBytes(32).toString('hex'), randomBytes(24).toString('base64url')];
      const secrets = loadSecrets(story.env.config, { SWITCHYARD_API_TOKENS: `ci:${tokens[0]},release-bot:${tokens[1]}` });
      const log = createLogger({ level: 'silent' });
      const metrics = new Metrics();
      // Passes rarely: the tests drive deploys themselves; the first pass at start is enough.
      const server = new AgentServer(story.agent, { log, clock: systemClock, everyMs: 60_000 });
      const api = apiFrontEnd(story.agent, { config: story.env.config, secrets, log, metrics, leadership: server.leadership, ...(heartbeatMs ? { heartbeatMs } : {}) });
      server.load(api);
      await server.start();
      return new ApiStory(story, server, api, metrics, tokens);
    } catch (err) {
      await story.close();
      throw err;
    }
  }

  get env() {
    return this.story.env;
  }

  /** One request; the body is sent as JSON unless `body` is given as text. */
  async call(
    method: string,
    path: string,
    options: { json?: unknown; body?: string; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<Answer> {
    const token = options.token === undefined ? this.token : options.token;
    const headers: Record<string, string> = {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    };
    const body = options.body ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    const res = await fetch(`${this.api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (/metrics): the text is the body.
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** Opens a deploy's event stream (GET .../events), resuming after `lastEventId` when given. */
  async events(eventsUrl: string, lastEventId?: string): Promise<EventStream> {
    const res = await fetch(eventsUrl, {
      headers: { authorization: `Bearer ${this.token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    });
    if (res.status !== 200 || !res.body) throw new Error(`event stream answered ${res.status}: ${await res.text()}`);
    return new EventStream(res);
  }

  /** Stops serving (ending open event streams), then the agent and the sandbox; once, however often called. */
  close(): Promise<void> {
    this.closed ??= this.server.stop().then(() => this.story.close());
    return this.closed;
  }
}

/**
 * API stories for one describe block: each test starts its own with
 * `given(...)`, and every one started is closed after the test, also when it fails.
 */
export function apiStories(): { given(options?: Parameters<typeof ApiStory.start>[0]): Promise<ApiStory> } {
  const open: ApiStory[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  return {
    async given(options) {
      const s = await ApiStory.start(options);
      open.push(s);
      return s;
    },
  };
}

/**
 * A Server-Sent Events stream read as it comes: every event, every comment,
 * and whether the server ended it. Waits are on what arrives, never on time.
 */
export class EventStream {
  readonly events: SseEvent[] = [];
  comments = 0;
  readonly ended: Promise<SseEvent[]>;
  readonly contentType: string | null;
  private readonly waiters = new Set<() => void>();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private done = false;

  constructor(res: Response) {
    this.contentType = res.headers.get('content-type');
    this.reader = res.body!.getReader();
    this.ended = this.read().then(() => this.events);
    // A stream cut off while nobody awaits its end (a test that failed early) is no second failure.
    this.ended.catch(() => undefined);
  }

  /** The first event (already here or to come) for which `until` holds; fails if the stream ends first. */
  until(until: (e: SseEvent) => boolean, what: string, timeoutMs = 30_000): Promise<SseEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${what}; phases so far: ${this.phases().join(' ')}`))), timeoutMs);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      const check = () => {
        const found = this.events.find(until);
        if (found) finish(() => resolve(found));
        else if (this.done) finish(() => reject(new Error(`the stream ended before ${what}; phases: ${this.phases().join(' ')}`)));
      };
      this.waiters.add(check);
      check();
    });
  }

  untilPhase(phase: Phase): Promise<SseEvent> {
    return this.until((e) => e.data.deploy.phase === phase, `phase ${phase}`);
  }

  /** Resolves once a heartbeat comment arrived. */
  untilComment(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.comments === 0) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  phases(): string[] {
    return this.events.map((e) => String(e.data.deploy.phase));
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.take(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        for (const w of [...this.waiters]) w();
      }
    } finally {
      this.done = true;
      for (const w of [...this.waiters]) w();
    }
  }

  private take(block: string): void {
    const lines = block.split('\n');
    if (lines.every((l) => l.startsWith(':'))) {
      this.comments += 1;
      return;
    }
    const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    this.events.push({ id: field('id') ?? '', data: JSON.parse(field('data') ?? 'null') });
  }
}

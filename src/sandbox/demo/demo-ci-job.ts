import type { DeployView } from '../../api/deploy-view.js';
import { SwitchyardError } from '../../errors/switchyard-error.js';
import type { CiClient, CiDeployRequest, CiEnd, CiEvent } from './ci-client.js';
import type { DemoOutput } from './demo-output.js';

/** What the API's 202 answer tells CI. */
export interface CiStarted {
  id: string;
  held: boolean;
  eventsUrl: string;
}

/**
 * A CI pipeline's deploy step as the sandbox shows it: the request and the
 * API's answer, then one line per phase CI sees on the deploy's event
 * stream, and the exit status the step ends with.
 *
 * @example
 * const job = new DemoCiJob(output, new CiClient(apiUrl, token));
 * const started = await job.start({ app: 'blog', version: '2.0.0', commit: '3f2a9c1', idempotencyKey: 'run-7-blog' });
 * const end = await job.follow(started); // { phase: 'done', exitCode: 0, ... }
 */
export class DemoCiJob {
  /** Set once the step has ended. */
  ended: CiEnd | undefined;
  private readonly o: DemoOutput;
  private readonly client: CiClient;
  private readonly stopping = new AbortController();

  constructor(o: DemoOutput, client: CiClient) {
    this.o = o;
    this.client = client;
  }

  /** POST /api/v1/deploys; anything but a 202 ends the story, with the API's error. */
  async start(request: CiDeployRequest): Promise<CiStarted> {
    const shown = this.client.request(request);
    this.o.say(
      `  CI → ${shown.method} ${shown.url}`,
      ...Object.entries(shown.headers).map(([k, v]) => `       ${k}: ${v}`),
      `       ${JSON.stringify(shown.body)}`,
    );
    const x = await this.client.startDeploy(request);
    this.o.step({ type: 'ci-request', request: x.request, status: x.status, answer: x.answer }, `  CI ← ${x.status} ${JSON.stringify(x.answer)}`);
    const { id, held, eventsUrl } = x.answer;
    if (x.status !== 202 || typeof id !== 'string' || typeof eventsUrl !== 'string') {
      throw new SwitchyardError('internal', `the HTTP API answered CI's deploy request with ${x.status}: ${JSON.stringify(x.answer)}`);
    }
    return { id, held: held === true, eventsUrl };
  }

  /** Follows the deploy's events to its end (or until stop()); never rejects. */
  async follow(started: CiStarted): Promise<CiEnd> {
    this.o.say(`  CI follows GET ${started.eventsUrl} (Server-Sent Events, one snapshot each)`);
    let phase: string | undefined;
    const end = await this.client.follow(
      started.eventsUrl,
      (e) => {
        if (e.deploy.phase !== phase) this.phaseSeen(e);
        phase = e.deploy.phase;
      },
      this.stopping.signal,
      { onReconnect: (why) => this.o.say(`  CI: ${why}; picks it up again after the last event seen (Last-Event-ID)`) },
    );
    this.ended = end;
    if (end.reason !== 'stopped') {
      this.o.step({ type: 'ci-exit', ...end }, `  CI: ${end.reason}; the step exits ${end.exitCode}`);
    }
    return end;
  }

  /** Ends the event stream (Ctrl-C, or the sandbox closing). */
  stop(): void {
    this.stopping.abort();
  }

  private phaseSeen(e: CiEvent): void {
    const d = e.deploy;
    this.o.step({ type: 'ci-event', id: e.id, deployId: d.id, phase: d.phase, held: d.held, progress: e.progress }, `  CI sees ${d.id} ${d.phase}${waitsFor(d)}`);
  }
}

/** Why CI's step sits still in this phase, if it is a person's turn. */
function waitsFor(d: DeployView): string {
  if (d.phase === 'pending' && d.held && !d.startedBy) return ' (held: waits for Start in Slack)';
  if (d.phase === 'verifying' && !d.promotedBy) return ' (waits for Promote in Slack)';
  return d.error ? ` (${d.error.message})` : '';
}

import { setMaxListeners } from 'node:events';
import type { ResumeReport } from '../deploy/deploy-service.js';
import type { Clock } from '../deploy/ports.js';
import type { RetireReport } from '../deploy/retire-retained.js';
import type { Logger } from '../log/logger.js';
import type { Agent } from './create-agent.js';
import { driftCheck } from './drift-check.js';
import { Leadership } from './leadership.js';

/**
 * A front end loaded into the agent (Slack, the HTTP API): transport only,
 * calling the agent's deploy service. Built as `(agent, deps) => FrontEnd`.
 */
export interface FrontEnd {
  /** For logs: "slack", "api". */
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Periodic work only the leader does (the resume and retention passes, the
 * drift check): one pass now, then every `everyMs`, while this agent leads.
 */
export interface LeaderTask {
  /** For logs: "resume and retention", "drift check". */
  name: string;
  everyMs: number;
  /** One pass. `signal` aborts the moment this agent stops leading; a pass that fails is logged and tried again next time. */
  pass(signal: AbortSignal): Promise<void>;
}

export interface AgentServerOptions {
  log: Logger;
  clock: Clock;
  /** How often deploys whose holder died are resumed and retention windows checked (while leading). */
  everyMs: number;
  /** How often the leader checks every app's nodes for drift (see driftCheck); 0 or absent: never. */
  driftCheckMs?: number;
  onResume?: (reports: ResumeReport[]) => void;
  onRetire?: (reports: RetireReport[]) => void;
}

/**
 * The long-running agent (`switchyard serve`). Every agent watches the apps'
 * state in the cluster for the deploy feed and serves what only reads (the
 * HTTP API's reads, health, metrics). One agent at a time leads (Leadership,
 * a Lease in the cluster) and does what acts: the front ends loaded
 * `loadWhileLeading` (the Slack app) and the LeaderTasks (resuming deploys whose
 * holder died, retiring kept colours whose window closed). A leader that
 * loses its lease stops all of it at once; the next one starts it again.
 *
 * @example
 * const server = new AgentServer(agent, { log, clock: systemClock, everyMs: 15_000 });
 * server.loadWhileLeading(() => slackFrontEnd(agent, { ... }));
 * server.load(apiFrontEnd(agent, { ..., leadership: server.leadership }));
 * server.whileLeading({ name: 'nightly report', everyMs: 86_400_000, pass: (signal) => report(signal) });
 * await server.start();
 * // ... on SIGTERM:
 * await server.stop();
 * await agent.close();
 */
export class AgentServer {
  /** Whether this agent leads, and who does: for /readyz and writes sent to a follower. */
  readonly leadership: Leadership;
  private readonly agent: Agent;
  private readonly options: AgentServerOptions;
  private readonly frontEnds: FrontEnd[] = [];
  private readonly leaderFrontEnds: Array<() => FrontEnd> = [];
  private readonly tasks: LeaderTask[] = [];
  private readonly started: FrontEnd[] = [];
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(agent: Agent, options: AgentServerOptions) {
    this.agent = agent;
    this.options = options;
    // Every watched namespace and kind listens for the stop: many apps are not a leak.
    setMaxListeners(0, this.stopping.signal);
    const { lease, renewMs, retryMs } = agent.leaderLease;
    this.leadership = new Leadership(lease, {
      clock: options.clock,
      self: { identity: agent.identity, instance: agent.instance },
      renewMs,
      retryMs,
      log: options.log.child({ leadership: true }),
      onElected: (term) => this.lead(term),
    });
    this.whileLeading({ name: 'resume and retention', everyMs: options.everyMs, pass: () => this.resumeAndRetire() });
    if (options.driftCheckMs) this.whileLeading({ name: 'drift check', everyMs: options.driftCheckMs, pass: driftCheck(agent.service, options.log) });
  }

  /** Adds a front end run on every agent. Before start. */
  load(frontEnd: FrontEnd): void {
    this.frontEnds.push(frontEnd);
  }

  /**
   * Adds a front end run only on the leader: one that acts on its own, as
   * Slack does. Made anew for each term (`make`), since a front end once
   * stopped is not started again. Before start.
   */
  loadWhileLeading(make: () => FrontEnd): void {
    this.leaderFrontEnds.push(make);
  }

  /** Adds periodic work that only the leader does. Before start. */
  whileLeading(task: LeaderTask): void {
    this.tasks.push(task);
  }

  /**
   * Starts watching and serving, and claims the leadership once: an agent
   * that wins it starts the leader's work before this resolves. A front end
   * that cannot start stops what started and rejects.
   */
  async start(): Promise<void> {
    const { log } = this.options;
    const signal = this.stopping.signal;
    // The feed first: a front end's first subscriber then sees deploys already in flight.
    this.loops.push(this.agent.watchCluster(signal, (err) => log.warn({ err }, 'watching the apps in the cluster failed; retrying')));
    try {
      for (const f of this.frontEnds) {
        await f.start();
        this.started.push(f);
        log.info({ frontEnd: f.name }, `${f.name} started`);
      }
      this.loops.push((await this.leadership.start(signal)).running);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops the front ends, the leader's work and the election (releasing the lease); deploys this agent runs are stopped by Agent.close. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.stopAll(this.started);
    await Promise.all(this.loops);
  }

  /** One term of leading: the tasks, then the leader's front ends; all stopped once `term` aborts. */
  private lead(term: AbortSignal): { started: Promise<void>; stopped: Promise<void> } {
    const { log } = this.options;
    const running: FrontEnd[] = [];
    const tasks = this.tasks.map((t) => this.repeat(t, term));
    const starting = (async () => {
      for (const make of this.leaderFrontEnds) {
        if (term.aborted) return;
        const f = make();
        await f.start();
        running.push(f);
        log.info({ frontEnd: f.name }, `${f.name} started (leader)`);
      }
    })();
    const stopped = (async () => {
      await new Promise<void>((resolve) => (term.aborted ? resolve() : term.addEventListener('abort', () => resolve(), { once: true })));
      // A front end still starting is stopped once it has started.
      await starting.catch(() => undefined);
      await this.stopAll(running);
      await Promise.all(tasks);
    })();
    return { started: starting, stopped };
  }

  private async stopAll(frontEnds: FrontEnd[]): Promise<void> {
    const results = await Promise.allSettled(frontEnds.splice(0).reverse().map((f) => f.stop()));
    for (const r of results) if (r.status === 'rejected') this.options.log.warn({ err: r.reason }, 'a front end did not stop cleanly');
  }

  private async repeat(task: LeaderTask, signal: AbortSignal): Promise<void> {
    const { log, clock } = this.options;
    while (!signal.aborted) {
      // A pass that fails (cluster down) is logged and tried again next time: the agent keeps serving.
      await task.pass(signal).catch((err: unknown) => log.warn({ err, task: task.name }, `${task.name} pass failed; trying again in ${task.everyMs} ms`));
      await clock.sleep(task.everyMs, signal);
    }
  }

  private async resumeAndRetire(): Promise<void> {
    const reports = await this.agent.service.resumeInFlight().catch((err: unknown) => {
      this.options.log.warn({ err }, 'resume pass failed');
      return [];
    });
    this.options.onResume?.(reports);
    this.options.onRetire?.(await this.agent.service.retireExpired());
  }
}

import { setMaxListeners } from 'node:events';
import type { ResumeReport } from '../deploy/deploy-service.js';
import type { Clock } from '../deploy/ports.js';
import type { RetireReport } from '../deploy/retire-retained.js';
import type { Logger } from '../log/logger.js';
import type { Agent } from './create-agent.js';
import { checkDrift } from './drift-check.js';

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

export interface AgentServerOptions {
  log: Logger;
  clock: Clock;
  /** How often deploys whose holder died are resumed and retention windows checked. */
  everyMs: number;
  /** How often every app's nodes are checked for drift (see checkDrift); 0 or absent: never. */
  driftCheckMs?: number;
  onResume?: (reports: ResumeReport[]) => void;
  onRetire?: (reports: RetireReport[]) => void;
}

/**
 * The long-running agent (`switchyard serve`): resumes deploys in flight at
 * start and on every pass (so one whose holder died is picked up), retires
 * kept colours whose window closed, watches the apps' state in the cluster
 * for the deploy feed, and runs the front ends loaded into it.
 *
 * @example
 * const server = new AgentServer(agent, { log, clock: systemClock, everyMs: 15_000 });
 * server.load(slackFrontEnd(agent, { ... }));
 * await server.start();
 * // ... on SIGTERM:
 * await server.stop();
 * await agent.close();
 */
export class AgentServer {
  private readonly agent: Agent;
  private readonly options: AgentServerOptions;
  private readonly frontEnds: FrontEnd[] = [];
  private readonly started: FrontEnd[] = [];
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(agent: Agent, options: AgentServerOptions) {
    this.agent = agent;
    this.options = options;
    // Every watched namespace and kind listens for the stop: many apps are not a leak.
    setMaxListeners(0, this.stopping.signal);
  }

  load(frontEnd: FrontEnd): void {
    this.frontEnds.push(frontEnd);
  }

  /** Starts watching and serving; a front end that cannot start stops what started and rejects. */
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
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.loops.push(this.passes(signal));
    const { driftCheckMs } = this.options;
    if (driftCheckMs) this.loops.push(checkDrift(this.agent.service, { log, clock: this.options.clock, everyMs: driftCheckMs, signal }));
  }

  /** Stops the front ends and the passes; deploys this agent runs are stopped by Agent.close. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const results = await Promise.allSettled(this.started.splice(0).reverse().map((f) => f.stop()));
    for (const r of results) if (r.status === 'rejected') this.options.log.warn({ err: r.reason }, 'a front end did not stop cleanly');
    await Promise.all(this.loops);
  }

  private async passes(signal: AbortSignal): Promise<void> {
    const { log, clock, everyMs } = this.options;
    while (!signal.aborted) {
      // A pass that fails (cluster down) is logged and tried again next time: the agent keeps serving.
      const reports = await this.agent.service.resumeInFlight().catch((err: unknown) => {
        log.warn({ err }, 'resume pass failed');
        return [];
      });
      this.options.onResume?.(reports);
      this.options.onRetire?.(await this.agent.service.retireExpired());
      await clock.sleep(everyMs, signal);
    }
  }
}

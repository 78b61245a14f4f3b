import { afterEach } from 'vitest';
import { createAgent, type Agent } from '../../src/agent/create-agent.js';
import type { DeployEvent } from '../../src/deploy/deploy-event.js';
import type { Started } from '../../src/deploy/deploy-service.js';
import type { RunResult } from '../../src/deploy/deploy-runner.js';
import { createLogger } from '../../src/log/logger.js';
import { startLoad, type LoadReport, type RunningLoad } from '../../src/sandbox/load/http-load.js';
import { startSandboxEnv, type SandboxEnv, type SandboxEnvOptions } from '../../src/sandbox/sandbox-env.js';
import type { Actor, AppState, DeployRecord, Phase } from '../../src/state/app-state.js';
import type { Colour } from '../../src/validate/patterns.js';
import { appStateIn, untilAppState } from './app-state-in-store.js';

/** People in the stories: who asks for a deploy, who promotes or aborts it, who is on call. */
export const alice: Actor = { via: 'cli', id: 'alice' };
export const bob: Actor = { via: 'slack', id: 'U0BOB', name: 'bob' };
export const carol: Actor = { via: 'slack', id: 'U0CAROL', name: 'carol' };

export interface StoryOptions extends SandboxEnvOptions {
  /**
   * Start from a site switchyard already deploys to (green 1.0.0 live and
   * recorded, blue gone) rather than one it adopts on its first deploy
   * (blue 1.0.0 installed by hand, nothing recorded).
   */
  managed?: boolean;
}

/**
 * One deploy told as a story, Argo-style: given a sandbox where 1.0.0 serves
 * on three real nodes (blue installed by hand, or green deployed by
 * switchyard when `managed`) and an agent (built by createAgent, in this
 * process), when someone deploys, promotes, aborts or rolls back, then what
 * the cluster, the nodes and the traffic show. Every wait is on an event
 * (a state write in the stand-in cluster, the runner's end), never a sleep.
 *
 * @example
 * const story = await stories.given({ app: { retainMinutes: 10 } });
 * await story.whenDeployed('2.0.0', alice);
 * await story.untilPhase('verifying');
 * await story.whenPromoted(bob);
 * expect((await story.untilFinished()).phase).toBe('done');
 */
export class DeployStory {
  readonly env: SandboxEnv;
  readonly agent: Agent;
  /** Everything the agent reported, in order. */
  readonly events: DeployEvent[] = [];
  private load: RunningLoad | undefined;
  private started: Started | undefined;

  private constructor(env: SandboxEnv, agent: Agent) {
    this.env = env;
    this.agent = agent;
  }

  static async start(options: StoryOptions, onEvent?: (e: DeployEvent) => void): Promise<DeployStory> {
    const { managed, ...sandbox } = options;
    const env = await startSandboxEnv({ nodes: 3, ...sandbox, ...(managed ? { initialVersion: '0.9.0' } : {}) });
    let story: DeployStory | undefined;
    try {
      const agent = await createAgent(env.config, {
        log: createLogger({ level: 'silent' }),
        ec2: env.ec2Options,
        onEvent: (e) => {
          story?.events.push(e);
          onEvent?.(e);
        },
      });
      story = new DeployStory(env, agent);
      if (managed) await story.givenManaged();
      return story;
    } catch (err) {
      // The caller never gets the story to close: stop its agent and runner too, not just the sandbox.
      await (story ? story.close() : env.close());
      throw err;
    }
  }

  /**
   * A site switchyard already deploys to: blue 0.9.0 was installed by hand,
   * and a first deploy (no pause) made green 1.0.0 live and recorded it.
   * The story's own deploy then goes to blue.
   */
  private async givenManaged(): Promise<void> {
    await this.whenDeployed('1.0.0', alice, { skipVerify: true });
    const first = await this.untilFinished();
    if (first.phase !== 'done') throw new Error(`the first deploy of the sandbox ended ${first.phase}: ${first.error?.message}`);
    this.events.length = 0;
    this.started = undefined;
  }

  /**
   * Continuous GET / through every node's nginx, a new connection per
   * request, until loadReport(). Resolves once every node has answered, so
   * the load is known to run before whatever the story does next.
   */
  async givenLoad(): Promise<void> {
    this.load = startLoad(this.env.fleet.nodes.map((n) => ({ host: n.address, port: 80 })), { mode: 'close', perTarget: 2 });
    await this.load.nextAnswers();
  }

  /** How often each body was seen so far, e.g. { 'blog 1.0.0': 412 }. */
  bodiesSoFar(): Record<string, number> {
    return { ...this.load!.report.bodies };
  }

  /**
   * Stops the load once every node has answered a request sent after this
   * call (so the report covers what came before it), and reports every
   * request it sent.
   */
  async loadReport(): Promise<LoadReport> {
    await this.load!.nextAnswers();
    const report = await this.load!.stop();
    this.load = undefined;
    return report;
  }

  async whenDeployed(version: string, by: Actor, options: { skipVerify?: boolean } = {}): Promise<DeployRecord> {
    this.started = await this.agent.service.deploy('blog', version, { by, ...options });
    return this.started.record;
  }

  async whenRolledBack(by: Actor): Promise<DeployRecord> {
    this.started = await this.agent.service.rollback('blog', by);
    return this.started.record;
  }

  whenPromoted(by: Actor): Promise<DeployRecord> {
    return this.agent.service.promote('blog', by);
  }

  whenAborted(by: Actor): Promise<DeployRecord> {
    return this.agent.service.abort('blog', by);
  }

  /** Waits until the in-flight deploy is recorded in `phase` (before that phase acts). */
  async untilPhase(phase: Phase): Promise<DeployRecord> {
    return (await untilAppState(this.env.kube, (s) => s.inFlight?.phase === phase, `the deploy to reach ${phase}`)).inFlight!;
  }

  /** Waits until the in-flight deploy's gate window holds for a person (its source unreadable). */
  async untilHeld(): Promise<DeployRecord> {
    return (await untilAppState(this.env.kube, (s) => s.inFlight?.gate?.held !== undefined, 'the gate window to hold')).inFlight!;
  }

  /** The runner's end; the record it finished with (from history). */
  async untilFinished(): Promise<DeployRecord> {
    const result: RunResult = await this.started!.done;
    if (result.outcome !== 'finished' || !result.record) throw new Error(`the deploy did not finish: ${result.reason ?? result.outcome}`);
    return result.record;
  }

  /** The state record as the cluster holds it now. */
  state(): AppState {
    return appStateIn(this.env.kube);
  }

  replicaSet(colour: Colour): { version: string | undefined } | undefined {
    const rs = this.env.kube.store.find('replicasets', 'blog', `blog-${colour}`);
    return rs && { version: rs.metadata.labels?.['switchyard/version'] };
  }

  /** Error events the agent reported. */
  errors(): Extract<DeployEvent, { type: 'error' }>[] {
    return this.events.filter((e): e is Extract<DeployEvent, { type: 'error' }> => e.type === 'error');
  }

  async close(): Promise<void> {
    await this.load?.stop().catch(() => undefined);
    await this.agent.close().catch(() => undefined);
    // Let a runner that is still going see the stop before the sandbox goes away.
    await this.started?.done.catch(() => undefined);
    await this.env.close();
  }
}

/**
 * Stories for one describe block: each test starts its own sandbox with
 * `given(...)`, and every sandbox started is closed after the test, also when
 * it fails.
 *
 * @example
 * const stories = deployStories();
 * it('...', async () => { const story = await stories.given(); ... });
 */
export function deployStories(): { given(options?: StoryOptions, onEvent?: (e: DeployEvent) => void): Promise<DeployStory> } {
  const open: DeployStory[] = [];
  afterEach(async () => {
    for (const story of open.splice(0)) await story.close();
  });
  return {
    async given(options = {}, onEvent) {
      const story = await DeployStory.start(options, onEvent);
      open.push(story);
      return story;
    },
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import { createAgent, type Agent } from '../../agent/create-agent.js';
import { previewUrls } from '../../deploy/wording.js';
import type { AppConfig } from '../../config/schema.js';
import type { DeployEvent } from '../../deploy/deploy-event.js';
import type { RunResult } from '../../deploy/deploy-runner.js';
import type { FleetNode } from '../../discovery/fleet-node.js';
import { silentLogger } from '../../log/logger.js';
import type { Actor, DeployRecord } from '../../state/app-state.js';
import { colourPort } from '../../validate/patterns.js';
import { startLoad, type LoadReport } from '../load/http-load.js';
import { startSandboxEnv, type SandboxEnv } from '../sandbox-env.js';
import type { DemoOutput } from './demo-output.js';
import { DemoProgress } from './demo-progress.js';
import { formatHistoryTable } from './history-table.js';
import { describeAnswer, httpGetText } from './http-get-text.js';
import { interruptible, Interrupted } from './interruptible.js';
import { formatNodeAnswer, probeNodes, type NodeAnswer } from './probe-nodes.js';
import { findLeftovers, sandboxFootprint } from './sandbox-leftovers.js';

export interface SandboxDemoOptions {
  /** Real nginx + sshd nodes (default 3). */
  nodes?: number;
  /** How long the deploy waits in verifying before the sandbox presses Promote (default 2 s). */
  promoteAfterMs?: number;
}

const APP = 'blog';
const FROM = '1.0.0';
const TO = '2.0.0';
const SANDBOX_ACTOR: Actor = { via: 'cli', id: 'sandbox', name: 'you (the sandbox)' };
const ONCALL: Actor = { via: 'cli', id: 'oncall', name: 'on-call (the sandbox)' };

/**
 * One run of the demo's story: start the sandbox, show it, deploy, preview
 * and promote, roll back, show the history. It keeps what it started, so
 * close() can remove it whatever happened. Steps that did not go as expected
 * are collected as problems; an interrupt or an error ends the story.
 *
 * @example
 * const demo = new SandboxDemo(output, signal, { nodes: 3 });
 * const problems = await demo.run().finally(() => demo.close());
 */
export class SandboxDemo {
  private env: SandboxEnv | undefined;
  private agent: Agent | undefined;
  private load: { stop(): Promise<LoadReport> } | undefined;
  private running: Promise<RunResult> | undefined;
  private readonly listeners = new Set<(e: DeployEvent) => void>();
  private readonly progress: DemoProgress;
  private readonly problems: string[] = [];
  private readonly o: DemoOutput;
  private readonly signal: AbortSignal;
  private readonly options: SandboxDemoOptions;

  constructor(o: DemoOutput, signal: AbortSignal, options: SandboxDemoOptions) {
    this.o = o;
    this.signal = signal;
    this.options = options;
    this.progress = new DemoProgress(o);
  }

  async run(): Promise<string[]> {
    const size = this.options.nodes ?? 3;
    this.o.say(`Starting the sandbox: a stand-in Kubernetes API and EC2 endpoint, and ${size} nodes (network namespaces, each with its own nginx and sshd)...`);
    // Not interruptible: it removes what it started if it fails, and once it is up close() removes it.
    const env = await startSandboxEnv({ nodes: size, initialVersion: FROM });
    this.env = env;
    if (this.signal.aborted) throw new Interrupted();
    const app = env.config.apps.find((a) => a.name === APP)!;
    const agent = await createAgent(env.config, { log: silentLogger, ec2: env.ec2Options, onEvent: (e) => this.onEvent(e) });
    this.agent = agent;
    const nodes = await this.setup(env, agent, app);

    await this.responses('before', nodes, FROM);
    await this.deploy(agent, app, nodes);
    await this.responses('after the deploy', nodes, TO);
    await this.rollback(agent, app, nodes);
    await this.responses('after the rollback', nodes, FROM);
    const history = await agent.service.history(APP);
    this.o.step({ type: 'history', app: APP, records: history }, '', `History of ${APP} (switchyard history ${APP}):`, ...formatHistoryTable(history).map((l) => `  ${l}`));
    return this.problems;
  }

  /**
   * Stops the load and the agent, then removes every stand-in, node,
   * namespace and temp dir; answers what is still there afterwards (nothing,
   * unless removing failed).
   */
  async close(): Promise<string[]> {
    await this.load?.stop().catch(() => undefined);
    if (this.agent) await this.agent.close().catch(() => undefined);
    // A runner stopped mid-step settles once its connections are gone; let it before the stand-ins go.
    if (this.running) await Promise.race([this.running, sleep(5000, undefined, { ref: false })]);
    if (!this.env) return [];
    this.o.say('', 'Removing the sandbox: nodes, namespaces, stand-ins and temp files...');
    const footprint = await sandboxFootprint(this.env);
    await this.env.close();
    const left = await findLeftovers(footprint);
    if (left.length === 0) {
      this.o.step({ type: 'removed', ...footprint }, `Removed ${footprint.namespaces.length} network namespaces, ${footprint.pids.length} processes and ${footprint.dirs.length} folders; nothing of the sandbox is left.`);
    }
    return left;
  }

  private onEvent(e: DeployEvent): void {
    this.progress.print(e);
    for (const listener of this.listeners) listener(e);
  }

  private async setup(env: SandboxEnv, agent: Agent, app: AppConfig): Promise<FleetNode[]> {
    const checks = await this.interruptible(agent.checkNodes());
    const tags = Object.entries(env.config.discovery.ec2?.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
    const byName = new Map(env.fleet.nodes.map((n) => [n.name, n]));
    const status = await this.interruptible(agent.service.status(APP));
    const blue = status.colours?.blue;
    this.o.step(
      {
        type: 'setup',
        nodes: checks.map((n) => ({ ...n, namespace: byName.get(n.name)?.namespace })),
        discovery: { ec2: env.ec2.endpoint, tags: env.config.discovery.ec2?.tags },
        cluster: { apiServer: env.kube.url },
        app: { name: APP, namespace: app.namespace, ports: { blue: colourPort(app.portBase, 'blue'), green: colourPort(app.portBase, 'green') }, live: status.live, colours: status.colours },
        configPath: env.configPath,
        fleetDir: env.fleet.root,
      },
      '',
      `Nodes, found through EC2 by tag (${tags}) among running instances:`,
      ...checks.map((n) =>
        `  ${n.name}  ${n.address}  ${n.instanceId ?? ''}  ${n.zone ?? ''}  netns ${byName.get(n.name)?.namespace ?? '?'}  ` +
          `ssh ${n.reachable ? 'ok (host key checked)' : `unreachable: ${n.error}`}  nginx: ${n.live[APP] ?? '?'} live`,
      ),
      `Cluster: stand-in Kubernetes API at ${env.kube.url} (the real @kubernetes/client-node talks to it)`,
      `App: ${APP} in namespace ${app.namespace}: blue on NodePort ${colourPort(app.portBase, 'blue')}` +
        (blue ? ` (${blue.readyReplicas}/${blue.replicas} pods Ready at ${blue.version}, live)` : ' (none)') +
        `, green on NodePort ${colourPort(app.portBase, 'green')} (${status.colours?.green ? 'running' : 'none yet'})`,
      `Config: ${env.configPath}`,
    );
    const unreachable = checks.filter((n) => !n.reachable);
    if (unreachable.length > 0) this.problems.push(`unreachable over SSH: ${unreachable.map((n) => n.name).join(', ')}`);
    return checks;
  }

  private async responses(stage: string, nodes: readonly FleetNode[], want: string): Promise<void> {
    const answers: NodeAnswer[] = await this.interruptible(probeNodes(nodes, APP));
    this.o.step({ type: 'responses', stage, answers }, '', `Responses ${stage} (GET / through each node's nginx):`, ...answers.map((a) => `  ${formatNodeAnswer(a)}`));
    const wrong = answers.filter((a) => a.answer !== `${APP} ${want}`);
    if (wrong.length > 0) this.problems.push(`${stage}: expected ${APP} ${want} from every node, got ${wrong.map(formatNodeAnswer).join('; ')}`);
  }

  private async deploy(agent: Agent, app: AppConfig, nodes: readonly FleetNode[]): Promise<void> {
    this.o.say('', `Deploy ${APP} ${TO} (blue -> green) with the real DeployService, under continuous load through every node's nginx:`);
    const verifying = this.nextPhase('verifying');
    const load = this.startLoad(nodes);
    const { record, done } = await this.interruptible(agent.service.deploy(APP, TO, { by: SANDBOX_ACTOR }));
    this.running = done;
    const first = await this.interruptible(Promise.race([verifying.then(() => 'verifying' as const), done]));
    if (first === 'verifying') await this.previewAndPromote(agent, app, nodes, record);
    const result = await this.interruptible(done);
    await this.endLoad(load, 'deploy');
    this.expectFinished(result, 'done', 'the deploy');
  }

  /** What a person does at verifying: look at the new colour through its preview URLs, then press Promote. */
  private async previewAndPromote(agent: Agent, app: AppConfig, nodes: readonly FleetNode[], record: DeployRecord): Promise<void> {
    const urls = previewUrls(app, record.toColour, nodes);
    const answers = await this.interruptible(Promise.all(urls.map((url) => httpGetText(url))));
    this.o.step(
      { type: 'preview', colour: record.toColour, urls: urls.map((url, i) => ({ url, answer: describeAnswer(answers[i]!) })) },
      `  preview ${record.toColour} before it takes traffic (the app's previewUrl ${app.previewUrl ?? '(none)'}):`,
      ...urls.map((url, i) => `    ${url} -> ${describeAnswer(answers[i]!)}`),
    );
    const pauseMs = this.options.promoteAfterMs ?? 2000;
    this.o.step(
      { type: 'auto-promote', afterMs: pauseMs, by: SANDBOX_ACTOR },
      `  verifying: switchyard now waits for someone to press Promote (Slack, or \`switchyard promote ${APP}\`);`,
      `  nobody is at this sandbox's keyboard, so it presses Promote for you in ${(pauseMs / 1000).toFixed(0)} s, as a person would after looking.`,
    );
    await this.interruptible(sleep(pauseMs, undefined, { signal: this.signal }).catch(() => undefined));
    await this.interruptible(agent.service.promote(APP, SANDBOX_ACTOR));
  }

  private async rollback(agent: Agent, app: AppConfig, nodes: readonly FleetNode[]): Promise<void> {
    const status = await this.interruptible(agent.service.status(APP));
    const previous = status.previous;
    const old = previous ? status.colours?.[previous.colour] : undefined;
    this.o.step(
      { type: 'rollback-plan', previous, previousStillRuns: Boolean(old) },
      '',
      `Rollback by on-call (as from Slack or \`switchyard rollback ${APP}\`) back to ${previous?.colour ?? '?'} ${previous?.version ?? '?'}:`,
      old
        ? `  ${APP}-${previous?.colour} still runs, so this is only a switch back.`
        : `  ${APP}-${previous?.colour} was retired after the drain (retainMinutes ${app.retainMinutes}), so switchyard re-creates it from the pod template it recorded then, waits for its pods, switches and drains; no verification pause.`,
    );
    const load = this.startLoad(nodes);
    const { record, done } = await this.interruptible(agent.service.rollback(APP, ONCALL));
    this.running = done;
    this.progress.onCreating(record.id, `re-creating ${APP}-${record.toColour} at ${record.version} from the recorded template`);
    const result = await this.interruptible(done);
    await this.endLoad(load, 'rollback');
    this.expectFinished(result, 'rolled-back', 'the rollback');
    const recreated = result.record?.transitions.some((t) => t.phase === 'creating') ?? false;
    if (!old && !recreated) this.problems.push(`the rollback did not re-create ${APP}-${record.toColour}`);
  }

  private startLoad(nodes: readonly FleetNode[]): { stop(): Promise<LoadReport> } {
    this.load = startLoad(nodes.map((n) => ({ host: n.address, port: 80, hostHeader: APP })), { mode: 'close', perTarget: 2 });
    return this.load;
  }

  private async endLoad(load: { stop(): Promise<LoadReport> }, during: string): Promise<void> {
    const r = await load.stop();
    this.load = undefined;
    const failed = r.connectionErrors + r.badStatus;
    const seen = Object.entries(r.bodies).map(([body, n]) => `${n} answered ${body}`).join(', ');
    this.o.step(
      { type: 'load', during, sent: r.sent, ok: r.ok, failed, bodies: r.bodies, samples: r.samples },
      `  load during the ${during}: ${r.sent} requests through every node's nginx (a new connection each), ${failed} failed (${seen})`,
    );
    if (failed > 0) this.problems.push(`${failed} of ${r.sent} requests failed during the ${during}: ${r.samples.slice(0, 3).join('; ')}`);
  }

  private expectFinished(result: RunResult, phase: 'done' | 'rolled-back', what: string): void {
    const r = result.record;
    if (result.outcome !== 'finished' || r?.phase !== phase) {
      this.problems.push(`${what} ended ${r ? `${r.phase}${r.error ? `: ${r.error.message}` : ''}` : 'without a record'}${result.reason ? ` (${result.reason})` : ''}`);
    }
  }

  /** Resolves when some deploy event enters `phase`. */
  private nextPhase(phase: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (e: DeployEvent): void => {
        if (e.type === 'phase' && e.to === phase) {
          this.listeners.delete(listener);
          resolve();
        }
      };
      this.listeners.add(listener);
    });
  }

  private interruptible<T>(work: Promise<T>): Promise<T> {
    return interruptible(work, this.signal);
  }
}

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Agent } from '../../agent/create-agent.js';
import type { AppConfig } from '../../config/schema.js';
import type { DeployEvent } from '../../deploy/deploy-event.js';
import type { FleetNode } from '../../discovery/fleet-node.js';
import { SwitchyardError } from '../../errors/switchyard-error.js';
import type { DeployRecord } from '../../state/app-state.js';
import { startLoad, type LoadReport } from '../load/http-load.js';
import { startSandboxEnv, type SandboxEnv } from '../sandbox-env.js';
import { currentVersion, type StoredMessage } from '../slack/message-store.js';
import { startSlackStandIn, type SlackStandIn } from '../slack/start-slack-stand-in.js';
import { blockKitLinks } from './block-kit-text.js';
import { CiClient } from './ci-client.js';
import { DemoCiJob } from './demo-ci-job.js';
import type { DemoOutput } from './demo-output.js';
import { describeServed } from './describe-served.js';
import { describeSetup } from './describe-setup.js';
import { DemoProgress } from './demo-progress.js';
import { buttonsNow, buttonsText, DemoSlack, showsTheEnd } from './demo-slack.js';
import { formatHistoryTable } from './history-table.js';
import { describeAnswer, httpGetText } from './http-get-text.js';
import { interruptible, Interrupted } from './interruptible.js';
import { pollUntil } from './poll-until.js';
import { formatNodeAnswer, probeNodes, type NodeAnswer } from './probe-nodes.js';
import { findLeftovers, sandboxFootprint } from './sandbox-leftovers.js';
import { DEPLOYS_CHANNEL, serveSandboxAgent, type ServedAgent } from './serve-sandbox-agent.js';

export interface SandboxDemoOptions {
  /** Real nginx + sshd nodes (default 3). */
  nodes?: number;
  /** How long bob looks at the previews before he clicks Promote (default 2 s). */
  promoteAfterMs?: number;
  /** After the rollback, leave everything running (the dashboard to look at) until the signal; then remove it as always. */
  keep?: boolean;
}

const APP = 'blog';
const FROM = '1.0.0';
const TO = '2.0.0';
/** The commit CI built 2.0.0 from, shown in Slack with the deploy. */
const COMMIT = '3f2a9c1';

/**
 * One run of the demo's story, with the agent served as `switchyard serve`
 * serves it (Slack and the HTTP API loaded): CI starts a deploy through the
 * API and follows it; alice presses Start and bob Promote in Slack; carol
 * rolls back with the slash command; every version of each deploy message is
 * shown. It keeps what it started, so close() can remove it whatever
 * happened. Steps that did not go as expected are collected as problems; an
 * interrupt or an error ends the story.
 *
 * @example
 * const demo = new SandboxDemo(output, signal, { nodes: 3 });
 * const problems = await demo.run().finally(() => demo.close());
 */
export class SandboxDemo {
  private env: SandboxEnv | undefined;
  private slack: SlackStandIn | undefined;
  private served: ServedAgent | undefined;
  private ci: DemoCiJob | undefined;
  private load: { stop(): Promise<LoadReport> } | undefined;
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
    this.o.say(`Starting the sandbox: a stand-in Kubernetes API, EC2 endpoint and Slack, and ${size} nodes (network namespaces, each with its own nginx and sshd)...`);
    // Not interruptible: each removes what it started if it fails, and once it is up close() removes it.
    this.env = await startSandboxEnv({ nodes: size, initialVersion: FROM, app: { requireStart: true } });
    this.slack = await startSlackStandIn();
    const served = await serveSandboxAgent(this.env, this.slack, { onEvent: (e) => this.onEvent(e) });
    this.served = served;
    if (this.signal.aborted) throw new Interrupted();
    const app = served.config.apps.find((a) => a.name === APP)!;
    const nodes = await this.setup(this.env, served.agent, app);
    describeServed(this.o, served, this.slack);
    const people = new DemoSlack(this.slack, DEPLOYS_CHANNEL, this.o, this.signal);

    await this.responses('before', nodes, FROM);
    await this.deploy(served, people, app, nodes);
    await this.responses('after the deploy', nodes, TO);
    await this.rollback(served.agent, people, app, nodes);
    await this.responses('after the rollback', nodes, FROM);
    const history = await served.agent.service.history(APP);
    this.o.step({ type: 'history', app: APP, records: history }, '', `History of ${APP} (switchyard history ${APP}):`, ...formatHistoryTable(history).map((l) => `  ${l}`));
    if (this.options.keep) await this.kept(served);
    return [...this.problems, ...people.problems()];
  }

  /**
   * Stops CI, the load, the agent's front ends and the agent, then removes
   * every stand-in, node, namespace and temp dir; answers what is still
   * there afterwards (nothing, unless removing failed).
   */
  async close(): Promise<string[]> {
    this.ci?.stop();
    await this.load?.stop().catch(() => undefined);
    await this.served?.stop().catch(() => undefined);
    // After the agent: a Bolt app still running would dial a lost Slack again.
    await this.slack?.close().catch(() => undefined);
    if (!this.env) return [];
    this.o.say('', 'Removing the sandbox: nodes, namespaces, stand-ins, servers and temp files...');
    const footprint = await sandboxFootprint(this.env, {
      ...(this.slack ? { 'the Slack stand-in': this.slack.apiUrl } : {}),
      ...(this.served ? { "the agent's HTTP API": this.served.apiUrl } : {}),
    });
    await this.env.close();
    const left = await findLeftovers(footprint);
    if (left.length === 0) {
      const servers = Object.keys(footprint.servers);
      this.o.step(
        { type: 'removed', ...footprint },
        `Removed ${footprint.namespaces.length} network namespaces, ${footprint.pids.length} processes, ${footprint.dirs.length} folders and ${servers.length} servers (${servers.join(', ')}); nothing of the sandbox is left.`,
      );
    }
    return left;
  }

  private onEvent(e: DeployEvent): void {
    this.progress.print(e);
    for (const listener of this.listeners) listener(e);
  }

  private async setup(env: SandboxEnv, agent: Agent, app: AppConfig): Promise<FleetNode[]> {
    const checks = await this.interruptible(agent.checkNodes());
    describeSetup(this.o, env, checks, await this.interruptible(agent.service.status(APP)), app);
    const unreachable = checks.filter((n) => !n.reachable);
    if (unreachable.length > 0) this.problems.push(`unreachable over SSH: ${unreachable.map((n) => n.name).join(', ')}`);
    return checks;
  }

  /** --keep: the sandbox stays up, with the dashboard, until Ctrl-C; that ends the run as planned, not as an interruption. */
  private async kept(served: ServedAgent): Promise<void> {
    const dashboard = `${served.apiUrl}/`;
    this.o.step(
      { type: 'kept', dashboard, api: served.apiUrl },
      '',
      `The sandbox keeps running (--keep): look at the dashboard on ${dashboard}`,
      `  every app, the deploy and the rollback above (${dashboard}apps/${APP}), live as they change; CI's token still works on ${served.apiUrl}/api/v1/`,
      '  Press Ctrl-C to remove everything.',
    );
    if (this.signal.aborted) return;
    await new Promise((resolve) => this.signal.addEventListener('abort', resolve, { once: true }));
  }

  private async responses(stage: string, nodes: readonly FleetNode[], want: string): Promise<void> {
    const answers: NodeAnswer[] = await this.interruptible(probeNodes(nodes, APP));
    this.o.step({ type: 'responses', stage, answers }, '', `Responses ${stage} (GET / through each node's nginx):`, ...answers.map((a) => `  ${formatNodeAnswer(a)}`));
    const wrong = answers.filter((a) => a.answer !== `${APP} ${want}`);
    if (wrong.length > 0) this.problems.push(`${stage}: expected ${APP} ${want} from every node, got ${wrong.map(formatNodeAnswer).join('; ')}`);
  }

  /** CI starts the deploy and follows it; alice starts it in Slack, bob looks at the previews and promotes it. */
  private async deploy(served: ServedAgent, people: DemoSlack, app: AppConfig, nodes: readonly FleetNode[]): Promise<void> {
    this.o.say('', `Deploy ${APP} ${TO} as CI does, through the HTTP API, under continuous load through every node's nginx:`);
    const load = this.startLoad(nodes);
    const ci = new DemoCiJob(this.o, new CiClient(served.apiUrl, served.ciToken));
    this.ci = ci;
    const started = await this.interruptible(ci.start({ app: APP, version: TO, commit: COMMIT, idempotencyKey: `sandbox-${randomBytes(4).toString('hex')}-${APP}` }));
    const following = ci.follow(started);

    const held = await people.untilMessage(started.id, (m) => buttonsNow(m).includes('start'), 'offer [Start]');
    const green = (await this.interruptible(served.agent.service.status(APP))).colours?.green;
    this.o.step(
      { type: 'held', deployId: started.id, held: started.held, created: Boolean(green), buttons: buttonsNow(held) },
      `  held in pending: nothing is created until someone presses Start (${green ? `${APP}-green exists!` : `no ${APP}-green yet`}); the message in ${DEPLOYS_CHANNEL} offers ${buttonsText(held)}`,
    );
    if (!started.held || green) this.problems.push(`the deploy CI started was not held before Start (held: ${started.held}, ${APP}-green ${green ? 'created' : 'absent'})`);
    await people.click('alice', held, 'start');

    const verifying = await people.untilMessage(started.id, (m) => ci.ended !== undefined || buttonsNow(m).includes('promote'), 'offer [Promote]');
    if (!ci.ended) {
      await this.preview(app, verifying);
      await this.interruptible(sleep(this.options.promoteAfterMs ?? 2000, undefined, { signal: this.signal }).catch(() => undefined));
      await people.click('bob', verifying, 'promote');
    }
    const end = await this.interruptible(Promise.race([following, this.runStopped()]));
    await this.endLoad(load, 'deploy');
    if (end.exitCode !== 0) this.problems.push(`CI's step would fail: ${end.reason}`);
    const { record } = await this.interruptible(served.agent.service.find(started.id));
    this.expectFinished(record, 'done', 'the deploy');
    // The runner lets the app's lock go just after it records the end: on-call's rollback must not find it held.
    await pollUntil(() => (served.agent.service.runs(started.id) ? undefined : true), `the runner of ${started.id} to end`, this.signal);
    const shown = await people.untilMessage(started.id, (m) => showsTheEnd(m, record), 'show how it ended');
    people.show(shown, `The deploy's message in ${DEPLOYS_CHANNEL}: the post, then every edit (${shown.versions.length} versions), and its thread:`);
  }

  /** What bob does at verifying: open the preview links of the message, each answered by the new colour. */
  private async preview(app: AppConfig, m: StoredMessage): Promise<void> {
    const urls = blockKitLinks(currentVersion(m));
    const answers = await this.interruptible(Promise.all(urls.map((url) => httpGetText(url))));
    this.o.step(
      { type: 'preview', urls: urls.map((url, i) => ({ url, answer: describeAnswer(answers[i]!) })) },
      `  verifying: the message's preview links (the app's previewUrl ${app.previewUrl ?? '(none)'}), as bob opens them before he decides:`,
      ...urls.map((url, i) => `    ${url} -> ${describeAnswer(answers[i]!)}`),
    );
    if (urls.length === 0) this.problems.push('the message at verifying had no preview links');
  }

  private async rollback(agent: Agent, people: DemoSlack, app: AppConfig, nodes: readonly FleetNode[]): Promise<void> {
    const status = await this.interruptible(agent.service.status(APP));
    const previous = status.previous;
    const old = previous ? status.colours?.[previous.colour] : undefined;
    this.o.step(
      { type: 'rollback-plan', previous, previousStillRuns: Boolean(old) },
      '',
      `Rollback from Slack by on-call (carol, in the group with the rollback role) back to ${previous?.colour ?? '?'} ${previous?.version ?? '?'}:`,
      old
        ? `  ${APP}-${previous?.colour} still runs, so this is only a switch back.`
        : `  ${APP}-${previous?.colour} was retired after the drain (retainMinutes ${app.retainMinutes}), so switchyard re-creates it from the pod template it recorded then, waits for its pods, switches and drains; no verification pause.`,
    );
    const load = this.startLoad(nodes);
    const requested = this.nextEvent((e) => (e.type === 'requested' && e.kind === 'rollback' ? e : undefined));
    const finished = this.nextEvent((e) => (e.type === 'finished' && e.record.kind === 'rollback' ? e.record : undefined));
    const reply = await people.command('carol', '/deploy', `rollback ${APP}`);
    if (!reply.startsWith('Rolling')) throw new SwitchyardError('internal', `Slack did not take carol's rollback: ${reply}`);
    const { deployId } = await this.interruptible(requested);
    this.progress.onCreating(deployId, `re-creating ${APP}-${previous?.colour} at ${previous?.version} from the recorded template`);
    const record = await this.interruptible(Promise.race([finished, this.runStopped()]));
    await this.endLoad(load, 'rollback');
    this.expectFinished(record, 'rolled-back', 'the rollback');
    const recreated = record.transitions.some((t) => t.phase === 'creating');
    if (!old && !recreated) this.problems.push(`the rollback did not re-create ${APP}-${record.toColour}`);
    const shown = await people.untilMessage(record.id, (m) => showsTheEnd(m, record), 'show how it ended');
    people.show(shown, `The rollback's own message in ${DEPLOYS_CHANNEL} (${shown.versions.length} versions), and its thread:`);
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

  private expectFinished(r: DeployRecord, phase: 'done' | 'rolled-back', what: string): void {
    if (r.phase !== phase) this.problems.push(`${what} ended ${r.phase}${r.error ? `: ${r.error.message}` : ''}`);
  }

  /** The first deploy event for which `match` answers something, and that answer. */
  private nextEvent<T>(match: (e: DeployEvent) => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const listener = (e: DeployEvent): void => {
        const found = match(e);
        if (found === undefined) return;
        this.listeners.delete(listener);
        resolve(found);
      };
      this.listeners.add(listener);
    });
  }

  /**
   * Rejects once a run of this agent stops without finishing (its lease lost,
   * the cluster unreachable): neither CI's stream nor a finished event would
   * end the wait then.
   */
  private runStopped(): Promise<never> {
    return this.nextEvent((e) => (e.type === 'stopped' ? e : undefined)).then((e) => {
      throw new SwitchyardError('deploy-failed', `${e.deployId} stopped in ${e.phase} without finishing: ${e.reason}`);
    });
  }

  private interruptible<T>(work: Promise<T>): Promise<T> {
    return interruptible(work, this.signal);
  }
}

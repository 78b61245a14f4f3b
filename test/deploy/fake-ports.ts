import type { AppConfig } from '../../src/config/schema.js';
import type { DeployEvent } from '../../src/deploy/deploy-event.js';
import type { DeployDeps } from '../../src/deploy/deploy-runner.js';
import { DeployService, type DeployServiceDeps } from '../../src/deploy/deploy-service.js';
import type {
  ClusterPort,
  Clock,
  ColoursView,
  CreateSource,
  FleetPort,
  FleetView,
  StagedFiles,
  LockHolder,
  LockPort,
  LockResult,
  LockSeen,
  StatePort,
  DrainVerdict,
  SwitchOutcome,
} from '../../src/deploy/ports.js';
import type { FleetNode } from '../../src/discovery/fleet-node.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import type { Logger } from '../../src/log/logger.js';
import { emptyAppState, type Actor, type AppState } from '../../src/state/app-state.js';
import type { Colour } from '../../src/validate/patterns.js';
import { appConfig, rs, T0 } from './fixtures.js';

/**
 * In-memory stand-ins for the deploy machine's ports (fakes of ports, for unit
 * tests only). Every call that reads or changes something is written to one
 * journal, so a test can prove the order: state recorded, then the action.
 */

/** Time that jumps to the next timer whenever nothing else is left to run: no real waiting. */
export class FakeClock implements Clock {
  private t: number;
  private readonly timers = new Set<{ at: number; fire: () => void }>();
  private scheduled = false;

  constructor(start: Date = T0) {
    this.t = start.getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = {
        at: this.t + Math.max(0, ms),
        fire: () => {
          this.timers.delete(timer);
          signal?.removeEventListener('abort', timer.fire);
          resolve();
        },
      };
      signal?.addEventListener('abort', timer.fire, { once: true });
      this.timers.add(timer);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs once every pending promise has settled: the fakes do no I/O.
    setImmediate(() => {
      this.scheduled = false;
      let next: { at: number; fire: () => void } | undefined;
      for (const timer of this.timers) if (!next || timer.at < next.at) next = timer;
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.fire();
      if (this.timers.size > 0) this.schedule();
    });
  }
}

export class MemoryState implements StatePort {
  readonly states = new Map<string, AppState>();
  /** The highest lock fence each app's state was written under; a lower one is refused, as the real store does. */
  readonly fences = new Map<string, number>();
  /** Makes a write fail when it returns true for the state about to be written. */
  failWrite: ((next: AppState) => boolean) | undefined;

  private readonly journal: string[];

  constructor(journal: string[]) {
    this.journal = journal;
  }

  async read(app: string): Promise<AppState> {
    return structuredClone(this.states.get(app) ?? emptyAppState(app));
  }

  async update(app: string, fn: (current: AppState) => AppState, options: { fence?: number } = {}): Promise<AppState> {
    const { fence } = options;
    const recorded = this.fences.get(app) ?? 0;
    if (fence !== undefined && fence < recorded) {
      throw new SwitchyardError('lock-held', `refused a write to the state of ${app} under lock token ${fence}: written under ${recorded} since`);
    }
    const current = await this.read(app);
    const next = fn(current);
    if (fence !== undefined && fence > recorded) this.fences.set(app, fence);
    if (next === current) return current;
    if (this.failWrite?.(next)) throw new SwitchyardError('kube-api-failed', `writing ConfigMap ${app}/switchyard-${app}: 500`);
    this.states.set(app, structuredClone(next));
    this.journal.push(`state ${next.inFlight ? next.inFlight.phase : `idle ${next.history[0]?.phase ?? ''}`}`);
    return structuredClone(next);
  }
}

export class MemoryLock implements LockPort {
  readonly holders = new Map<string, LockHolder>();
  /** Each app's last fence: raised for every new holder. */
  readonly fences = new Map<string, number>();
  /** Renewals fail from now on (the lease expired and another agent took it). */
  lost = false;
  /** What a refused acquire tells of the holder (as the real lease does). */
  seen: LockSeen | undefined;

  private readonly journal: string[];

  constructor(journal: string[]) {
    this.journal = journal;
  }

  private holds(app: string, h: LockHolder): boolean {
    const cur = this.holders.get(app);
    return cur !== undefined && cur.agent === h.agent && cur.deployId === h.deployId;
  }

  async acquire(app: string, holder: LockHolder): Promise<LockResult> {
    const cur = this.holders.get(app);
    if (cur && !this.holds(app, holder)) return { acquired: false, holder: cur, ...(this.seen ? { seen: this.seen } : {}) };
    if (!cur) this.fences.set(app, (this.fences.get(app) ?? 0) + 1);
    this.holders.set(app, holder);
    this.journal.push(`lock acquire ${app}`);
    return { acquired: true, fence: this.fences.get(app)! };
  }

  /** Renewals asked for (not journaled: there are many). */
  renewals = 0;
  /** Renewals and releases from now on never answer (a connection to the API server gone half-open). */
  hang = false;
  /** How many of the next renewals fail with an API error. */
  failNext = 0;

  async renew(app: string, holder: LockHolder): Promise<boolean> {
    this.renewals += 1;
    if (this.hang) return new Promise<boolean>(() => undefined);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new SwitchyardError('kube-api-failed', `renewing Lease ${app}/switchyard-${app}: 503`);
    }
    return !this.lost && this.holds(app, holder);
  }

  async release(app: string, holder: LockHolder): Promise<void> {
    if (this.hang) return new Promise<void>(() => undefined);
    if (!this.holds(app, holder)) return;
    this.holders.delete(app);
    this.journal.push(`lock release ${app}`);
  }
}

export class FakeCluster implements ClusterPort {
  colours: ColoursView = { blue: null, green: null };
  /** Time all pods of a new colour take to turn Ready once waited for. */
  readyAfterMs = 3000;
  /** Errors to throw, by "create green", "wait green", "delete blue", "scale green", "observe". */
  readonly fail = new Map<string, SwitchyardError>();
  /** Pods that never get Ready (waitReady runs into its timeout). */
  neverReady = false;

  private readonly clock: Clock;
  private readonly journal: string[];

  constructor(clock: Clock, journal: string[]) {
    this.clock = clock;
    this.journal = journal;
  }

  private failing(what: string): void {
    const err = this.fail.get(what);
    if (err) throw err;
  }

  async observe(): Promise<ColoursView> {
    this.failing('observe');
    return structuredClone(this.colours);
  }

  async createColour(app: AppConfig, colour: Colour, version: string, source: CreateSource): Promise<void> {
    this.journal.push(`cluster create ${colour} ${version} ${source.kind === 'mirror' ? `mirror ${source.colour}` : source.kind}`);
    this.failing(`create ${colour}`);
    if (this.colours[colour]) throw new SwitchyardError('kube-conflict', `ReplicaSet ${app.name}-${colour} already exists`);
    const replicas =
      source.kind === 'mirror' ? this.colours[source.colour]!.replicas : source.kind === 'recorded' ? source.replicas : app.fallbackReplicas;
    const template = source.kind === 'recorded' ? source.template : { spec: { containers: [{ name: 'web', image: `blog:${version}` }] } };
    this.colours[colour] = { ...rs(version, replicas, 0), template };
  }

  async waitReady(
    app: AppConfig,
    colour: Colour,
    options: { timeoutMs: number; signal?: AbortSignal; onProgress?: (ready: number, desired: number) => void },
  ): Promise<void> {
    const { signal, onProgress } = options;
    this.journal.push(`cluster wait ${colour}`);
    const aborted = () => new SwitchyardError('pods-not-ready', `waiting for ${app.name}-${colour} was cancelled`);
    const failure = this.fail.get(`wait ${colour}`);
    if (failure || this.neverReady) {
      await this.clock.sleep(failure ? 100 : options.timeoutMs, signal);
      if (signal?.aborted) throw aborted();
      throw failure ?? new SwitchyardError('pods-not-ready', `${app.name}-${colour}: pods not Ready after ${options.timeoutMs} ms`);
    }
    for (;;) {
      const rs = this.colours[colour];
      if (!rs) throw new SwitchyardError('kube-not-found', `ReplicaSet ${app.name}-${colour} not found`);
      if (rs.readyReplicas >= rs.replicas) return;
      await this.clock.sleep(this.readyAfterMs / rs.replicas, signal);
      if (signal?.aborted) throw aborted();
      rs.readyReplicas += 1;
      onProgress?.(rs.readyReplicas, rs.replicas);
    }
  }

  async deleteColour(_app: AppConfig, colour: Colour): Promise<void> {
    this.journal.push(`cluster delete ${colour}`);
    this.failing(`delete ${colour}`);
    this.colours[colour] = null;
  }

  async scaleColour(_app: AppConfig, colour: Colour, replicas: number): Promise<void> {
    this.journal.push(`cluster scale ${colour} ${replicas}`);
    this.failing(`scale ${colour}`);
    const rs = this.colours[colour];
    if (rs) this.colours[colour] = { ...rs, replicas, readyReplicas: Math.min(rs.readyReplicas, replicas) };
  }
}

export class FakeFleet implements FleetPort {
  readonly live = new Map<string, Colour>();
  /** A node whose commit fails: the switch then puts every node back, as the real fleet does. */
  failSwitchOn: string | undefined;
  /** Switches to this colour fail in prepare, changing no node (a node unreachable over SSH). */
  failPrepareTo: Colour | undefined;
  /** A node whose smoke check answers 500. */
  failSmokeOn: string | undefined;
  /** Nodes the next reads cannot reach (an SSH blip), each entry one read. */
  readFailures: string[][] = [];
  /** How long the old nginx workers take to exit after a switch. */
  drainMs = 500;
  /** Every switch asked for, with the colour it required every node to serve first (none: repair), and whether it was handed staged files. */
  readonly switches: { colour: Colour; from?: Colour; staged?: true }[] = [];
  /** The colour staged on the nodes (the fake's `<app>.conf.staged`), if any. */
  stagedColour: Colour | undefined;
  /** Staging fails (a node unreachable): the promote's switch then prepares in full. */
  failStage = false;
  /** Called while draining (lets a test break the new colour mid-drain). */
  onDrain: (() => void) | undefined;
  /** Nodes whose drain cannot be told, each as `<node>: <why>`, for every wait. */
  drainProblems: string[] = [];

  readonly nodes: FleetNode[];
  private readonly clock: Clock;
  private readonly journal: string[];

  constructor(nodes: FleetNode[], clock: Clock, journal: string[]) {
    this.nodes = nodes;
    this.clock = clock;
    this.journal = journal;
  }

  async discover(): Promise<FleetNode[]> {
    this.journal.push('fleet discover');
    return this.nodes;
  }

  async liveColour(nodes: FleetNode[]): Promise<FleetView> {
    this.journal.push('fleet read');
    const unreachable = this.readFailures.shift() ?? [];
    const list = nodes.map((n) =>
      unreachable.includes(n.name) ? { node: n.name, colour: null, error: 'connection reset' } : { node: n.name, colour: this.live.get(n.name) ?? null },
    );
    const first = list[0]?.colour ?? null;
    return { agreed: first && list.every((n) => n.colour === first) ? first : null, nodes: list };
  }

  /** The fake has no nginx apart from its files: what a node serves is what it marks live. */
  serving(nodes: FleetNode[]): Promise<FleetView> {
    return this.liveColour(nodes);
  }

  async stage(_nodes: FleetNode[], app: AppConfig, colour: Colour): Promise<StagedFiles> {
    this.journal.push(`fleet stage ${colour}`);
    if (this.failStage) throw new SwitchyardError('switch-prepare-failed', `cannot prepare ${app.name} on node-c: connection refused; staged files were removed`);
    this.stagedColour = colour;
    return { colour };
  }

  async unstage(): Promise<void> {
    this.journal.push('fleet unstage');
    this.stagedColour = undefined;
  }

  async switchTo(
    nodes: FleetNode[],
    app: AppConfig,
    colour: Colour,
    options?: { from?: Colour; staged?: StagedFiles; onProgress?: (switched: number, total: number) => void },
  ): Promise<SwitchOutcome> {
    this.journal.push(`fleet switch ${colour}`);
    this.switches.push({ colour, ...(options?.from ? { from: options.from } : {}), ...(options?.staged ? { staged: true as const } : {}) });
    this.stagedColour = undefined;
    const off = nodes.filter((n) => options?.from && this.live.get(n.name) !== options.from);
    if (off.length > 0) {
      throw new SwitchyardError('fleet-disagrees', `nodes disagree on ${app.name}'s live colour: ${off.map((n) => `${n.name} ${this.live.get(n.name)}`).join(', ')} (the record says ${options?.from}); nothing was changed`);
    }
    if (this.failPrepareTo === colour) {
      throw new SwitchyardError('switch-prepare-failed', `cannot prepare ${app.name} on node-c: connection refused; nothing was changed on any node`);
    }
    if (this.failSwitchOn) {
      throw new SwitchyardError('switch-commit-failed', `switching ${app.name} to ${colour}: nginx -t failed on ${this.failSwitchOn}; every node put back`);
    }
    nodes.forEach((n, i) => {
      this.live.set(n.name, colour);
      options?.onProgress?.(i + 1, nodes.length);
    });
    return { mixedWindowMs: 4, nodes: nodes.map((n) => ({ node: n.name, ms: 20 })) };
  }

  async afterSwitch(): Promise<void> {
    this.journal.push('fleet post-deploy');
  }

  async waitDrained(_outcome: SwitchOutcome, until: Date, signal?: AbortSignal): Promise<DrainVerdict> {
    this.onDrain?.();
    const left = until.getTime() - this.clock.now().getTime();
    await this.clock.sleep(Math.min(this.drainMs, left), signal);
    return { drained: this.drainMs <= left && this.drainProblems.length === 0, problems: this.drainProblems };
  }

  async smoke(nodes: FleetNode[], app: AppConfig, colour: Colour, check: { path: string; status: number }): Promise<void> {
    this.journal.push(`fleet smoke ${colour}`);
    if (this.failSmokeOn && nodes.some((n) => n.name === this.failSmokeOn)) {
      throw new SwitchyardError('deploy-failed', `smoke check of ${app.name} ${colour}: GET ${check.path} on ${this.failSmokeOn} answered 500, expected ${check.status}`);
    }
  }
}

export const agent: Actor = { via: 'agent', id: 'agent-1' };

/** A blog app live on blue v1 (3 pods) across three nodes, with everything a service needs. */
export function world(options: { app?: Record<string, unknown>; live?: Colour | null; log?: Logger; service?: Pick<DeployServiceDeps, 'roles' | 'freeze'> } = {}) {
  const journal: string[] = [];
  const events: DeployEvent[] = [];
  const clock = new FakeClock();
  const state = new MemoryState(journal);
  const lock = new MemoryLock(journal);
  const cluster = new FakeCluster(clock, journal);
  const nodes = ['node-a', 'node-b', 'node-c'].map((name, i) => ({ name, address: `10.0.1.${11 + i}`, port: 22 }));
  const fleet = new FakeFleet(nodes, clock, journal);
  const app = appConfig(options.app);
  const live = options.live === undefined ? 'blue' : options.live;
  if (live) {
    cluster.colours[live] = rs('v1', 3);
    state.states.set('blog', { ...emptyAppState('blog'), live: { colour: live, version: 'v1' } });
  }
  for (const n of nodes) fleet.live.set(n.name, live ?? 'blue');
  const hooks: ((e: DeployEvent) => void)[] = [];
  const onEvent = (e: DeployEvent) => {
    events.push(e);
    for (const hook of hooks) hook(e);
  };
  const deps: DeployDeps = { state, lock, cluster, fleet, clock, agent, onEvent, pollMs: 1000, ...(options.log ? { log: options.log } : {}) };
  let ids = 0;
  const service = new DeployService({ ...deps, ...options.service, apps: [app], newId: (a) => `${a}-${++ids}` });
  const phases = () => events.flatMap((e) => (e.type === 'phase' ? [e.to] : []));
  /** Runs `fn` once the deploy's phase becomes `phase`. */
  const when = (phase: string, fn: () => void) => {
    hooks.push((e) => {
      if (e.type === 'phase' && e.to === phase) fn();
    });
  };
  return { journal, events, clock, state, lock, cluster, fleet, app, deps, service, phases, when };
}

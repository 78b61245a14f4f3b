import { randomUUID } from 'node:crypto';
import type { AppConfig, Config } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import { asSwitchyardError, SwitchyardError } from '../errors/switchyard-error.js';
import { HISTORY_LIMIT, type Actor, type AppState, type DeployRecord } from '../state/app-state.js';
import { checkAppName, checkVersion, otherColour, type Colour } from '../validate/patterns.js';
import { classifyResume } from './classify-resume.js';
import { authorize, type AuthorizeContext, type Verb } from './authorize.js';
import type { IntentVerb, ResumeHow } from './deploy-event.js';
import { DeployFeed, type FeedFilter, type FeedListener } from './deploy-feed.js';
import { isFinal } from './deploy-phases.js';
import { DeployRunner, type DeployDeps, type RunOptions, type RunResult } from './deploy-runner.js';
import { describeHolder, lockHeldError } from './lock-held-error.js';
import { planDeploy } from './plan-deploy.js';
import { planReconcile, type ReconcilePlan } from './plan-reconcile.js';
import { readFleetReport, type FleetReading } from './read-fleet-report.js';
import { inFlightRefusal, reconcileApp } from './reconcile-app.js';
import { retireRetained, type RetireReport } from './retire-retained.js';
import type { ColoursView, LockHolder } from './ports.js';
import { revisioned } from './revisioned-state.js';
import type { AppStatus, DeployOptions, DeployPlan, FreezeView, ResumeReport, Started } from './service-types.js';
import { activeFreeze, freezeWindows, type ActiveFreeze } from '../freeze/active-freeze.js';
import { checkOverrideReason } from '../freeze/check-override-reason.js';
import { describeFreeze, frozenError } from './wording.js';

export type { AppStatus, DeployOptions, DeployPlan, FreezeView, ResumeReport, Started };
import { fleetProblems } from './fleet-problems.js';
import { endGateWindow, type GateEnd } from '../gate/end-gate-window.js';
import { intentRefusal } from './intent-refusal.js';

export interface DeployServiceDeps extends DeployDeps {
  apps: AppConfig[];
  /** Who may do what from Slack (docs/architecture.md, invariant 9); none when absent. */
  roles?: Config['roles'];
  /** Windows in which deploys are refused, for every app (each app's own are in its config); none when absent. */
  freeze?: Config['freeze'];
  /** Stops every runner this service started (agent shutdown); their deploys stay in flight for a resume. */
  signal?: AbortSignal;
  /** Id of a new deploy (default: `<app>-<8 hex>`). */
  newId?: (app: string) => string;
}

/** How a freeze override's transition note begins; Slack's thread tells such notes. */
export const FREEZE_OVERRIDE_NOTE = 'freeze overridden';

/** How a resume's transition note begins; Slack's thread tells such notes. */
export const RESUMED_NOTE = 'taken over after a restart by';

const INTENT_FIELD = { start: 'startedBy', promote: 'promotedBy', abort: 'abortedBy' } as const satisfies Record<IntentVerb, keyof DeployRecord>;

/**
 * The functions every front end calls (Slack, the HTTP API, the CLI); none of
 * them holds deploy logic. Inputs are checked here, at the edge. Requests
 * only record intent in the app's state; runners act on it.
 *
 * @example
 * const service = new DeployService({ state, lock, cluster, fleet, clock, agent, apps: config.apps, onEvent });
 * const { record, done } = await service.deploy('blog', '20151025.143403', { by: { via: 'cli', id: 'alice' } });
 * await service.promote('blog', { via: 'slack', id: 'U01BOB' });
 * console.log((await done).record?.phase); // 'done'
 */
export class DeployService {
  /** Every deploy as whole snapshots, for the front ends (see watch). */
  readonly feed: DeployFeed;
  private readonly runners = new Map<string, DeployRunner>();
  private readonly running = new Set<Promise<RunResult>>();
  private readonly deps: DeployServiceDeps;

  constructor(deps: DeployServiceDeps) {
    this.feed = new DeployFeed({ apps: deps.apps, nodes: () => deps.fleet.discover(), now: () => deps.clock.now() });
    // Every state this service reads or writes, and every event of its runners, also feeds the feed.
    this.deps = {
      ...deps,
      state: revisioned(deps.state, (s) => this.feed.observeState(s)),
      onEvent: (e) => {
        this.feed.observeEvent(e);
        deps.onEvent?.(e);
      },
    };
  }

  /**
   * Starts a deploy of `version`; refused with 'lock-held' while another deploy of the app runs,
   * and with 'deploy-frozen' in a freeze window unless `overrideFreeze` gives a reason (overrideFreeze role).
   * With `idempotencyKey`, a retried request answers the deploy the first one started.
   */
  async deploy(app: string, version: string, options: DeployOptions): Promise<Started> {
    checkVersion(version);
    if (options.overrideFreeze !== undefined) checkOverrideReason(options.overrideFreeze);
    const { by, idempotencyKey } = options;
    const replay = idempotencyKey ? await this.replay(app, version, by, idempotencyKey) : undefined;
    if (replay) return replay;
    const freezeOverride = this.passFreeze(app, options);
    try {
      return await this.start(app, by, (s, id, at) => {
        const record: DeployRecord = {
          ...this.newRecord(s, id, at, by, `deploy ${version} requested`),
          kind: 'deploy',
          version,
          skipVerify: options.skipVerify ?? false,
          ...(options.hold ? { hold: true } : {}),
          ...(options.commit ? { commit: options.commit } : {}),
          ...(idempotencyKey ? { idempotencyKey } : {}),
        };
        if (!freezeOverride) return record;
        const note = `${FREEZE_OVERRIDE_NOTE} (${freezeOverride.windows.map((w) => `"${w}"`).join(', ')}): ${freezeOverride.reason}`;
        return { ...record, freezeOverride, transitions: [...record.transitions, { phase: 'pending', at, by, note }] };
      });
    } catch (err) {
      // Two tries of one request at once: the one that lost the lock answers the deploy the other started.
      const again = idempotencyKey && asSwitchyardError(err).code === 'lock-held' ? await this.replay(app, version, by, idempotencyKey) : undefined;
      if (again) return again;
      throw err;
    }
  }

  /** The deploy an earlier request with `key` started, if any; refuses a key reused for another version. */
  private async replay(app: string, version: string, by: Actor, key: string): Promise<Started | undefined> {
    this.appConfig(app);
    const s = await this.deps.state.read(app);
    const r = [s.inFlight, ...s.history].find((x) => x?.idempotencyKey === key && x.requestedBy.via === by.via && x.requestedBy.id === by.id);
    if (!r) return undefined;
    if (r.version !== version) {
      throw new SwitchyardError('idempotency-conflict', `Idempotency-Key ${key} was used for ${app} ${r.version} (${r.id}), not ${version}`, {
        hint: 'use a new key for a new request',
      });
    }
    return { record: r, replayed: true, done: Promise.resolve({ outcome: isFinal(r.phase) ? 'finished' : 'stopped', record: r }) };
  }

  /** Back to the previous colour: a switch if it still runs, else re-created from its recorded template; no pause. */
  rollback(app: string, by: Actor): Promise<Started> {
    return this.start(app, by, (s, id, at) => {
      if (!s.live || !s.previous || s.previous.colour === s.live.colour) {
        throw new SwitchyardError('input-invalid', `${app} has no previous version to roll back to`, {
          hint: 'deploy the version you want instead',
        });
      }
      return {
        ...this.newRecord(s, id, at, by, `rollback to ${s.previous.version} requested`),
        kind: 'rollback',
        version: s.previous.version,
        toColour: s.previous.colour,
        skipVerify: true,
      };
    });
  }

  /**
   * Lets a held deploy (pending, waiting for a Start) go on: it creates the new colour next.
   * In a freeze window only one asked for with an override starts: the freeze began after CI asked.
   */
  async startHeld(app: string, by: Actor): Promise<DeployRecord> {
    const freeze = this.frozenNow(this.appConfig(app));
    if (freeze && !(await this.deps.state.read(app)).inFlight?.freezeOverride) {
      throw frozenError(app, freeze, 'this held deploy was asked for without an override: Reject it, and ask again after the freeze or with an override');
    }
    return this.intent(app, by, 'start');
  }

  /** The freeze window refusing deploys of the app now, if any (pure: config and clock). */
  freeze(app: string): FreezeView | null {
    const f = this.frozenNow(this.appConfig(app));
    return f && { windows: f.windows.map((w) => w.name), until: f.until.toISOString(), message: describeFreeze(app, f) };
  }

  private frozenNow(config: AppConfig): ActiveFreeze | null {
    const global = this.deps.freeze ?? { timeZone: 'UTC', windows: [] };
    return activeFreeze(freezeWindows(global, config), this.deps.clock.now());
  }

  /**
   * At the edge, before anything is touched: refuses a deploy in a freeze
   * window, or lets it through with the override it records (reason and who).
   */
  private passFreeze(app: string, options: DeployOptions): DeployRecord['freezeOverride'] {
    const freeze = this.frozenNow(this.appConfig(app));
    if (!freeze) return undefined;
    if (options.overrideFreeze === undefined) throw frozenError(app, freeze);
    this.authorize(options.by, 'override-freeze', app, { groups: options.groups ?? [] });
    return { windows: freeze.windows.map((w) => w.name), until: freeze.until.toISOString(), reason: options.overrideFreeze.trim(), by: options.by };
  }

  /** Lets a deploy waiting in verification switch (recorded now, acted on by its runner). */
  promote(app: string, by: Actor): Promise<DeployRecord> {
    return this.intent(app, by, 'promote');
  }

  /** Stops a deploy before its switch (a held one is rejected): the new colour is removed and traffic never moves. */
  abort(app: string, by: Actor): Promise<DeployRecord> {
    return this.intent(app, by, 'abort');
  }

  /**
   * Ends the deploy's gate window early (front ends authorize the rollback
   * role first): accept goes on to the drain, rollback switches every node
   * back at once. Recorded now, acted on by its runner.
   */
  async endGate(app: string, by: Actor, how: GateEnd): Promise<DeployRecord> {
    this.appConfig(app);
    const after = await this.deps.state.update(app, (s) => endGateWindow(s, by, how, this.deps.clock.now()));
    this.runners.get(app)?.nudge();
    return after.inFlight!;
  }

  /**
   * Checks that `actor` may `verb` the app (roles in config); throws
   * 'not-authorised' naming the role needed. Front ends call it before acting.
   */
  authorize(actor: Actor, verb: Verb, app: string, context: AuthorizeContext = {}): void {
    authorize(this.deps.roles ?? { deploy: [], approve: [], rollback: [], overrideFreeze: [], selfApprove: true }, actor, verb, app, context);
  }

  /** Whether this agent runs the deploy now (its runner is here). */
  runs(deployId: string): boolean {
    return [...this.runners.values()].some((r) => r.deployId === deployId);
  }

  /** One deploy's record, read from the cluster only (no SSH, no discovery). */
  async get(app: string, deployId: string): Promise<{ record: DeployRecord; state: AppState }> {
    this.appConfig(app);
    const state = await this.deps.state.read(app);
    const record = [state.inFlight, ...state.history].find((r) => r?.id === deployId);
    if (!record) {
      throw new SwitchyardError('deploy-unknown', `no deploy ${deployId} of ${app}`, { hint: `the last ${HISTORY_LIMIT} are kept: see switchyard history ${app}` });
    }
    return { record, state };
  }

  /** A deploy by its id alone (`<app>-<hex>`): the app is the configured one its id starts with. */
  async find(deployId: string): Promise<{ record: DeployRecord; state: AppState }> {
    const apps = this.deps.apps.filter((a) => deployId.startsWith(`${a.name}-`)).sort((a, b) => b.name.length - a.name.length);
    for (const app of apps) {
      const found = await this.get(app.name, deployId).catch((err: unknown) => {
        if (asSwitchyardError(err).code === 'deploy-unknown') return undefined;
        throw err;
      });
      if (found) return found;
    }
    throw new SwitchyardError('deploy-unknown', `no deploy ${deployId}`, { hint: 'deploy ids look like blog-1a2b3c4d; see switchyard history <app>' });
  }

  /**
   * Follows deploys as whole snapshots (record, pods and nodes progress,
   * preview URLs), latest-wins: the current ones first, then each change,
   * whichever agent or CLI runs them. Returns the unsubscribe.
   *
   * @example
   * const stop = service.watch({ app: 'blog' }, async (s) => slack.render(s));
   */
  watch(filter: FeedFilter, fn: FeedListener): () => void {
    return this.feed.watch(filter, fn);
  }

  /** Notes where a deploy's Slack message is (once), so every agent edits that one; false when one was already noted. */
  async attachChat(app: string, deployId: string, chat: { channel: string; ts: string }): Promise<boolean> {
    let attached = false;
    await this.deps.state.update(app, (s) => {
      attached = false;
      const noted = (r: DeployRecord): DeployRecord => {
        attached = true;
        return { ...r, chat };
      };
      if (s.inFlight?.id === deployId) return s.inFlight.chat ? s : { ...s, inFlight: noted(s.inFlight) };
      const i = s.history.findIndex((r) => r.id === deployId);
      if (i < 0 || s.history[i]!.chat) return s;
      return { ...s, history: s.history.map((r, j) => (j === i ? noted(r) : r)) };
    });
    return attached;
  }

  async status(app: string): Promise<AppStatus> {
    const config = this.appConfig(app);
    const s = await this.deps.state.read(app);
    const status: AppStatus = {
      app,
      live: s.live,
      previous: s.previous ? { colour: s.previous.colour, version: s.previous.version } : null,
      inFlight: s.inFlight,
      lastFinished: s.history[0] ?? null,
      problems: [],
    };
    const [colours, fleet] = await Promise.allSettled([
      this.deps.cluster.observe(config),
      this.deps.fleet.discover().then((nodes) => this.deps.fleet.liveColour(nodes, config)),
    ]);
    if (colours.status === 'fulfilled') {
      const summary = (c: Colour) => {
        const rs = colours.value[c];
        return rs ? { version: rs.version, replicas: rs.replicas, readyReplicas: rs.readyReplicas } : null;
      };
      status.colours = { blue: summary('blue'), green: summary('green') };
    } else status.problems.push(`cluster: ${asSwitchyardError(colours.reason).message}`);
    if (fleet.status === 'fulfilled') {
      status.fleet = fleet.value;
      status.problems.push(...fleetProblems(fleet.value, s.live?.colour ?? null));
    } else status.problems.push(`fleet: ${asSwitchyardError(fleet.reason).message}`);
    return status;
  }

  /** Both colours' ReplicaSets as the cluster reports them now: no SSH, no discovery (the dashboard's app page). */
  async colours(app: string): Promise<ColoursView> {
    return this.deps.cluster.observe(this.appConfig(app));
  }

  /** The app's state as recorded in the cluster (live, previous, in flight, history): no SSH, no discovery. */
  async readState(app: string): Promise<AppState> {
    this.appConfig(app);
    return this.deps.state.read(app);
  }

  /** Finished deploys and rollbacks, newest first, with who did what. */
  async history(app: string): Promise<DeployRecord[]> {
    this.appConfig(app);
    return (await this.deps.state.read(app)).history;
  }

  /** What deploying `version` would do now, touching nothing (only reads). */
  async plan(app: string, version: string): Promise<DeployPlan> {
    checkVersion(version);
    const config = this.appConfig(app);
    const { state, cluster, fleet, clock, agent } = this.deps;
    const s = await state.read(app);
    const [colours, nodes] = await Promise.all([cluster.observe(config), fleet.discover()]);
    const view = await fleet.liveColour(nodes, config);
    const now = clock.now();
    const frozen = this.freeze(app);
    const record: DeployRecord = {
      ...this.newRecord(s, `${app}-plan`, now.toISOString(), agent, `plan of ${version}`),
      kind: 'deploy',
      version,
      skipVerify: false,
    };
    return {
      app,
      version,
      nodes: nodes.map((n) => n.name),
      fleet: view,
      ...(s.inFlight ? { blockedBy: lockHeldError(app, null, s.inFlight).message } : {}),
      ...(frozen ? { frozen } : {}),
      steps: planDeploy({ ...record, phase: 'discovering' }, { colours, fleet: view }, now, config, s.previous),
    };
  }

  /** The configured apps, by name. */
  get appNames(): string[] {
    return this.deps.apps.map((a) => a.name);
  }

  /** The fleet's nodes, found by discovery: once for checks of several apps (checkFleet's `nodes`). */
  discoverNodes(): Promise<FleetNode[]> {
    return this.deps.fleet.discover();
  }

  /**
   * What every node serves for the app, against the record, as a fleet report
   * (its `report` is null while a deploy of the app is in flight). Reads
   * `nodes` when given, else discovers them.
   */
  checkFleet(app: string, nodes?: readonly FleetNode[]): Promise<FleetReading> {
    return readFleetReport(this.deps, this.appConfig(app), nodes);
  }

  /**
   * What a reconcile of the app would change (touching nothing): to `to`, or
   * to the Ready colour most nodes serve. Refused while a deploy is in flight,
   * when a node cannot be read, or when the target has not all pods Ready.
   */
  async planReconcile(app: string, to?: Colour): Promise<ReconcilePlan> {
    const config = this.appConfig(app);
    const reading = await readFleetReport(this.deps, config);
    if (!reading.report) throw inFlightRefusal(reading.state.inFlight!);
    return planReconcile(reading.report, reading.state.live, await this.deps.cluster.observe(config), to);
  }

  /** Carries out a plan a person confirmed: nodes and record on its colour, recorded in history as `by`'s reconcile. */
  reconcile(app: string, plan: ReconcilePlan, by: Actor): Promise<DeployRecord> {
    const config = this.appConfig(app);
    return reconcileApp(this.deps, config, plan, by, this.newId(app));
  }

  /**
   * Retires each app's retained old colour whose retention window has closed
   * (see retireRetained). A serving agent calls this on every pass.
   */
  retireExpired(): Promise<RetireReport[]> {
    return Promise.all(this.deps.apps.filter((a) => a.retainMinutes > 0).map((a) => retireRetained(this.deps, a)));
  }

  /**
   * For an agent that starts: takes over each app's in-flight deploy from its
   * recorded phase, and reports per app whether it carried on, put the fleet
   * back first, or unwound it (also as a 'resumed' event). Deploys another
   * live agent holds, or this agent already runs, are left as they are, so
   * an agent may call this again to pick up deploys whose holder died.
   */
  resumeInFlight(): Promise<ResumeReport[]> {
    return Promise.all(this.deps.apps.map((app) => this.resumeApp(app)));
  }

  private async resumeApp(app: AppConfig): Promise<ResumeReport> {
    const { state, lock, agent } = this.deps;
    const here = this.runners.get(app.name);
    if (here) return { app: app.name, how: 'held-elsewhere', note: 'already running in this agent' };
    let r: DeployRecord | null;
    let fence: number;
    try {
      r = (await state.read(app.name)).inFlight;
      if (!r) return { app: app.name, how: 'idle' };
      const got = await lock.acquire(app.name, { agent: agent.id, deployId: r.id, by: r.requestedBy });
      if (!got.acquired) {
        return { app: app.name, deployId: r.id, phase: r.phase, how: 'held-elsewhere', note: describeHolder(got.holder, got.seen), ...(got.seen ? { seen: got.seen } : {}) };
      }
      fence = got.fence;
    } catch (err) {
      return { app: app.name, how: 'error', note: asSwitchyardError(err).message };
    }
    // Checked again after the awaits: a deploy started (or resumed) here meanwhile
    // holds the same agent's lease, which acquire would have granted twice.
    if (this.runners.has(app.name)) return { app: app.name, deployId: r.id, phase: r.phase, how: 'held-elsewhere', note: 'already running in this agent' };
    const record = r;
    let first!: (v: { how: ResumeHow; note?: string }) => void;
    const firstDecision = new Promise<{ how: ResumeHow; note?: string }>((resolve) => (first = resolve));
    const done = this.run(app, record.id, fence, (rec, d) => first({ how: classifyResume(rec, d), ...(d.note ? { note: d.note } : {}) }));
    const how = await Promise.race([firstDecision, done.then((res) => ({ how: 'error' as const, note: res.reason }))]);
    const report: ResumeReport = { app: app.name, deployId: record.id, phase: record.phase, ...how, done };
    if (how.how !== 'error') {
      this.deps.onEvent?.({ type: 'resumed', app: app.name, deployId: record.id, phase: record.phase, how: how.how, ...(how.note ? { note: how.note } : {}) });
      await this.noteResumed(app.name, record.id, how.how, fence);
    }
    return report;
  }

  /**
   * Says in the record that this agent took the deploy over, so every front
   * end (Slack's thread, history) tells it (invariant 6). A note only: if it
   * cannot be written, the runner goes on regardless.
   */
  private async noteResumed(app: string, deployId: string, how: ResumeHow, fence: number): Promise<void> {
    const { agent, clock } = this.deps;
    const note = `${RESUMED_NOTE} ${agent.id}: ${how}`;
    const at = clock.now().toISOString();
    await this.deps.state
      .update(app, (s) => (s.inFlight?.id === deployId ? { ...s, inFlight: { ...s.inFlight, transitions: [...s.inFlight.transitions, { phase: s.inFlight.phase, at, by: agent, note }] } } : s), { fence })
      .catch(() => undefined);
  }

  private appConfig(app: string): AppConfig {
    checkAppName(app);
    const config = this.deps.apps.find((a) => a.name === app);
    if (!config) {
      throw new SwitchyardError('app-unknown', `unknown app "${app}"`, {
        hint: `known apps: ${this.deps.apps.map((a) => a.name).join(', ')}`,
      });
    }
    return config;
  }

  private newRecord(s: AppState, id: string, at: string, by: Actor, note: string) {
    return {
      id,
      app: s.app,
      fromColour: s.live?.colour ?? null,
      fromVersion: s.live?.version ?? null,
      // With nothing live yet, discovery picks the colour the nodes do not mark live.
      toColour: s.live ? otherColour(s.live.colour) : ('green' as Colour),
      phase: 'pending' as const,
      requestedBy: by,
      requestedAt: at,
      transitions: [{ phase: 'pending' as const, at, by, note }],
    };
  }

  private newId(app: string): string {
    return this.deps.newId?.(app) ?? `${app}-${randomUUID().slice(0, 8)}`;
  }

  /** Takes the lock, records the request as pending, and starts its runner. */
  private async start(app: string, by: Actor, make: (s: AppState, id: string, at: string) => DeployRecord): Promise<Started> {
    const config = this.appConfig(app);
    const { lock, state, clock } = this.deps;
    const id = this.newId(app);
    const holder: LockHolder = { agent: this.deps.agent.id, deployId: id, by };
    const got = await lock.acquire(app, holder);
    if (!got.acquired) throw lockHeldError(app, got.holder, (await state.read(app)).inFlight, got.seen);
    try {
      const at = clock.now().toISOString();
      const after = await state.update(app, (s) => {
        if (s.inFlight) throw lockHeldError(app, null, s.inFlight);
        return { ...s, inFlight: make(s, id, at) };
      }, { fence: got.fence });
      const record = after.inFlight!;
      this.deps.onEvent?.({ type: 'requested', app, deployId: id, kind: record.kind, version: record.version, by, hold: record.hold === true });
      return { record, done: this.run(config, id, got.fence) };
    } catch (err) {
      await lock.release(app, holder).catch(() => undefined);
      throw err;
    }
  }

  private run(app: AppConfig, id: string, fence: number, onFirstDecision?: RunOptions['onFirstDecision']): Promise<RunResult> {
    const runner = new DeployRunner(this.deps, app, id, {
      lockHeld: { fence },
      ...(this.deps.signal ? { signal: this.deps.signal } : {}),
      ...(onFirstDecision ? { onFirstDecision } : {}),
    });
    this.runners.set(app.name, runner);
    const done = runner
      .run()
      .catch((err: unknown): RunResult => ({ outcome: 'stopped', record: null, reason: asSwitchyardError(err).message }))
      .finally(() => {
        if (this.runners.get(app.name) === runner) this.runners.delete(app.name);
        this.running.delete(done);
      });
    this.running.add(done);
    return done;
  }

  /**
   * Settles once every runner this service started has ended. After the
   * service's signal aborts, the agent awaits this before it closes its
   * connections, so a switch under way finishes on the connections it has.
   */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /**
   * Records start, promote or abort on the deploy in flight. Asking again for
   * what is already asked answers the record as it is (a double click, a retry).
   */
  private async intent(app: string, by: Actor, verb: IntentVerb): Promise<DeployRecord> {
    this.appConfig(app);
    const field = INTENT_FIELD[verb];
    const at = this.deps.clock.now().toISOString();
    let changed = false;
    const after = await this.deps.state.update(app, (s) => {
      changed = false;
      const r = s.inFlight;
      if (!r) throw new SwitchyardError('wrong-phase', `no deploy of ${app} in flight to ${verb}`, { hint: `see: switchyard status ${app}` });
      if (r[field]) return s;
      const refusal = intentRefusal(r, verb);
      if (refusal) throw refusal;
      changed = true;
      const transitions = [...r.transitions, { phase: r.phase, at, by, note: `${verb} requested` }];
      return { ...s, inFlight: { ...r, [field]: by, transitions } };
    });
    const record = after.inFlight!;
    if (changed) this.deps.onEvent?.({ type: 'intent', app, deployId: record.id, verb, by, phase: record.phase });
    this.runners.get(app)?.nudge();
    return record;
  }
}


import type { AppConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import { asSwitchyardError, SwitchyardError } from '../errors/switchyard-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Actor, AppState, DeployRecord, Phase } from '../state/app-state.js';
import { applyDecision, decisionRecords } from './apply-decision.js';
import { decide } from './decide.js';
import type { Action, Decision } from './decision.js';
import type { DeployEvent, DeployEventListener } from './deploy-event.js';
import { isFinal, needsFleet } from './deploy-phases.js';
import { keepLease } from './keep-lease.js';
import { lockHeldError } from './lock-held-error.js';
import type { GateReading } from '../gate/evaluate-gate.js';
import type { GatePort } from '../gate/gate-port.js';
import type { ActionFailure, Observation } from './observation.js';
import type { ClusterPort, Clock, CreateSource, FleetPort, FleetView, LockHolder, LockPort, StagedFiles, StatePort, SwitchOutcome } from './ports.js';

/** Everything a runner (and the deploy service) needs, wired once in the entry point. */
export interface DeployDeps {
  state: StatePort;
  lock: LockPort;
  cluster: ClusterPort;
  fleet: FleetPort;
  clock: Clock;
  /** This agent: the lock holder, and the actor of the transitions it makes on its own. */
  agent: Actor;
  onEvent?: DeployEventListener;
  /** Where each failure goes with its whole chain of causes (people get one line in the events). */
  log?: Logger;
  /** How often a pause re-reads state for promote/abort, and a drain re-checks readiness (default 2000). */
  pollMs?: number;
  /** How often the lock is renewed (default 10000; keep it well under the lease's duration). */
  renewMs?: number;
  /** Retries of a cluster observation before the runner stops (default 3). */
  observeRetries?: number;
  /** Reads an app's gate source; an app with a gate finds it unreadable without one. */
  gate?: GatePort;
}

export interface RunOptions {
  /** Stops the runner (agent shutdown) without unwinding: the record stays for a resume. */
  signal?: AbortSignal;
  /** The caller already holds the app's lock for this deploy, under this fence (LockResult.fence). */
  lockHeld?: { fence: number };
  /** Sees the first decision, before it is recorded (resumeInFlight reports from it). */
  onFirstDecision?: (record: DeployRecord, decision: Decision) => void;
}

export interface RunResult {
  /** finished: the record reached a final phase; stopped: it is still in flight for a later resume. */
  outcome: 'finished' | 'stopped';
  record: DeployRecord | null;
  reason?: string;
  /** What to do about the reason a run stopped, when its error said. */
  hint?: string;
}

const sameRecord = (a: DeployRecord | null, b: DeployRecord): boolean => JSON.stringify(a) === JSON.stringify(b);
const messageOf = (err: unknown): string => asSwitchyardError(err).message;
/** What a write under a lock that was taken over is refused with (see StatePort). */
const isFencedOut = (err: unknown): boolean => err instanceof SwitchyardError && err.code === 'lock-held';
/** Actions that change the cluster or the fleet: each is taken only once the fence is confirmed. */
const CHANGES: ReadonlySet<Action['kind']> = new Set(['create-colour', 'switch', 'delete-colour']);

/**
 * Carries one in-flight deploy to a final phase: observe, decide, record the
 * transition in state before acting, act, repeat. Everything it knows lives in
 * the state record; what it keeps in memory (the nodes, the last switch's
 * drain evidence, a passed smoke check) is only a shortcut a restarted runner
 * can do without. The lock is released when it ends, finished or not.
 *
 * Its writes carry the lock's fence, and before each change to the cluster or
 * the fleet it confirms the fence with the state store, so a runner whose
 * lock was taken over while it could not tell (frozen, cut off from the API)
 * stops at its next write or change instead of acting beside the new holder.
 *
 * @example
 * const result = await new DeployRunner(deps, appConfig, record.id, { lockHeld: { fence: got.fence }, signal }).run();
 * if (result.outcome === 'finished') console.log(result.record?.phase);
 */
export class DeployRunner {
  private nodes: FleetNode[] | undefined;
  private lastSwitch: SwitchOutcome | undefined;
  private knownFleet: FleetView | undefined;
  private smokePassed = false;
  /** Staging was tried in this phase; `staged` is kept past it, for the promote's switch. */
  private stageTried = false;
  private staged: StagedFiles | undefined;
  private drained = false;
  /** The drain problems last said, so each is said once. */
  private drainProblems = '';
  private gateReading: GateReading | undefined;
  private failure: ActionFailure | undefined;
  private wake: AbortController | undefined;
  /** Why the runner must stop now (its lock is lost, or cannot be confirmed); checked before every pass and action. */
  private halt: { reason: string; err?: unknown } | undefined;
  private fence = 0;
  private phaseSince: number;
  private readonly holder: LockHolder;
  private readonly pollMs: number;
  private readonly deps: DeployDeps;
  private readonly options: RunOptions;
  readonly app: AppConfig;
  readonly deployId: string;

  constructor(deps: DeployDeps, app: AppConfig, deployId: string, options: RunOptions = {}) {
    this.deps = deps;
    this.app = app;
    this.deployId = deployId;
    this.options = options;
    this.phaseSince = deps.clock.now().getTime();
    this.holder = { agent: deps.agent.id, deployId };
    this.pollMs = deps.pollMs ?? 2000;
  }

  /** Cuts a pause or wait short so the next pass re-reads state (the service calls it after promote/abort). */
  nudge(): void {
    this.wake?.abort();
  }

  async run(): Promise<RunResult> {
    const { lock, state } = this.deps;
    if (this.options.lockHeld) this.fence = this.options.lockHeld.fence;
    else {
      const got = await lock.acquire(this.app.name, this.holder);
      if (!got.acquired) throw lockHeldError(this.app.name, got.holder, (await state.read(this.app.name)).inFlight, got.seen);
      this.fence = got.fence;
    }
    const stopRenewing = new AbortController();
    // Renewed also through a ten-minute wait for pods; once lost, the wait under
    // way ends and the runner stops, since another agent may now carry it on.
    const renewing = keepLease(() => lock.renew(this.app.name, this.holder), {
      clock: this.deps.clock,
      everyMs: this.deps.renewMs ?? 10_000,
      signal: stopRenewing.signal,
      onLost: () => {
        this.halt = { reason: `lost the lock of ${this.app.name} to another agent` };
        this.nudge();
      },
    });
    try {
      return await this.loop();
    } finally {
      stopRenewing.abort();
      await renewing;
      // A release that fails or hangs is harmless (the lease expires on its own),
      // so it is not waited for past one renew period: the agent must be able to close.
      const gaveUp = new AbortController();
      await Promise.race([lock.release(this.app.name, this.holder).catch(() => undefined), this.deps.clock.sleep(this.deps.renewMs ?? 10_000, gaveUp.signal)]);
      gaveUp.abort();
    }
  }

  private emit(event: DeployEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch {
      // Listeners are told, never asked: a failing one must not stop a deploy.
    }
  }

  private about() {
    return { app: this.app.name, deployId: this.deployId };
  }

  /** Ends the run with the deploy left in flight; `err`, when an error is why, goes to the log and lends its hint. */
  private stop(phase: Phase, record: DeployRecord | null, reason: string, err?: unknown): RunResult {
    const hint = err === undefined ? undefined : asSwitchyardError(err).hint;
    if (err !== undefined) this.log.warn({ err, ...this.about(), phase }, reason);
    this.emit({ ...this.about(), type: 'stopped', phase, reason, ...(hint ? { hint } : {}) });
    return { outcome: 'stopped', record, reason, ...(hint ? { hint } : {}) };
  }

  private stopIfHalted(phase: Phase, record: DeployRecord | null): RunResult | undefined {
    return this.halt && this.stop(phase, record, this.halt.reason, this.halt.err);
  }

  private get log(): Logger {
    return this.deps.log ?? silentLogger;
  }

  private async loop(): Promise<RunResult> {
    const { clock, state } = this.deps;
    let first = true;
    let current: DeployRecord | null = null;
    for (;;) {
      const phase = current?.phase ?? 'pending';
      if (this.options.signal?.aborted) return this.stop(phase, current, 'the agent is shutting down');
      const halted = this.stopIfHalted(phase, current);
      if (halted) return halted;
      let appState: AppState;
      try {
        appState = await state.read(this.app.name);
      } catch (err) {
        return this.stop(phase, current, `could not read the state of ${this.app.name}: ${messageOf(err)}`, err);
      }
      const r = appState.inFlight;
      if (!r || r.id !== this.deployId) {
        const done = appState.history.find((h) => h.id === this.deployId) ?? null;
        return this.stop(done?.phase ?? phase, done, `${this.deployId} is no longer in flight`);
      }
      current = r;
      if (first) {
        // Claims the record under this holding's fence before anything else: from here on a runner
        // that held the lock before (and may wake up believing it still does) has its writes refused.
        await this.confirmFence();
        const halted = this.stopIfHalted(r.phase, r);
        if (halted) return halted;
      }
      let observed: Observation;
      try {
        observed = await this.observe(r);
      } catch (err) {
        // What runs is unknown: deciding on a guess could fail a deploy or unwind it wrongly, so the
        // runner stops with the deploy in flight for a later pass (or agent) that can see.
        return this.stop(r.phase, r, `could not read the ReplicaSets of ${this.app.name}: ${messageOf(err)}`, err);
      }
      const d = decide(r, observed, clock.now(), this.app);
      if (first) this.options.onFirstDecision?.(r, d);
      first = false;
      const records = decisionRecords(r, d);
      if (records) {
        const now = clock.now();
        let stale = false;
        let after: AppState;
        try {
          if (this.halt) continue;
          after = await state.update(
            this.app.name,
            (s) => {
              // promote/abort may have landed since the read: decide again on what is there now.
              stale = !sameRecord(s.inFlight, r);
              return stale ? s : applyDecision(s, d, now, this.deps.agent);
            },
            { fence: this.fence },
          );
        } catch (err) {
          if (isFencedOut(err)) return this.stop(r.phase, r, this.lostLock(err), err);
          return this.stop(r.phase, r, `could not record ${d.phase} for ${this.app.name}: ${messageOf(err)}`, err);
        }
        if (stale) continue;
        this.recorded(r, d, now, observed);
        if (isFinal(d.phase)) {
          const record = after.history.find((h) => h.id === this.deployId) ?? null;
          this.emit({ ...this.about(), type: 'finished', phase: d.phase, record: record! });
          return { outcome: 'finished', record };
        }
      }
      this.failure = undefined;
      await this.act(d.actions, appState);
      if (d.actions.length === 0 && !records) await clock.sleep(this.pollMs, this.options.signal);
    }
  }

  /**
   * Confirms with the state store that no other holder has written under a
   * higher fence: a fenced write that changes nothing (the first one raises
   * the recorded fence to this holding's). Whatever this process's clock and
   * keepLease believe, a refusal means the lock was taken over; the runner
   * then halts. Not being able to confirm halts it too: it must not act blind.
   */
  private async confirmFence(): Promise<void> {
    try {
      await this.deps.state.update(this.app.name, (s) => s, { fence: this.fence });
    } catch (err) {
      const reason = isFencedOut(err) ? this.lostLock(err) : `could not confirm the lock of ${this.app.name}: ${messageOf(err)}`;
      this.halt = { reason, err };
    }
  }

  private lostLock(refusal: unknown): string {
    return `lost the lock of ${this.app.name} to another agent: ${messageOf(refusal)}`;
  }

  /** Events for a recorded transition; a new phase resets what this process saw happen in the old one. */
  private recorded(r: DeployRecord, d: Decision, now: Date, observed: Observation): void {
    if (d.patch?.error && d.patch.error.message !== r.error?.message) {
      const { phase, code, message, hint } = d.patch.error;
      this.emit({ ...this.about(), type: 'error', phase, code, message, ...(hint ? { hint } : {}) });
    }
    this.readiness(r, d, observed);
    if (d.phase === r.phase) return;
    this.emit({ ...this.about(), type: 'timing', phase: r.phase, ms: now.getTime() - this.phaseSince });
    this.emit({
      ...this.about(),
      type: 'phase',
      from: r.phase,
      to: d.phase,
      by: d.by ?? this.deps.agent,
      at: now.toISOString(),
      ...(d.note ? { note: d.note } : {}),
    });
    this.phaseSince = now.getTime();
    this.smokePassed = false;
    this.stageTried = false;
    this.drained = false;
    this.gateReading = undefined;
  }

  /** Tells a loss of the new colour's Ready pods (and its end) that decide recorded in notReadySince. */
  private readiness(r: DeployRecord, d: Decision, observed: Observation): void {
    const set = d.patch?.notReadySince;
    const cleared = r.notReadySince !== undefined && d.patch !== undefined && 'notReadySince' in d.patch && set === undefined;
    const since = set && !r.notReadySince ? set : cleared ? r.notReadySince : undefined;
    if (!since) return;
    const rs = observed.colours[r.toColour];
    const until = d.actions.find((a) => a.kind === 'await-ready')?.until;
    this.emit({
      ...this.about(),
      type: 'readiness',
      phase: d.phase,
      colour: r.toColour,
      change: cleared ? 'regained' : 'lost',
      ready: rs?.readyReplicas ?? 0,
      desired: rs?.replicas ?? 0,
      since,
      ...(until ? { until } : {}),
    });
  }

  /** One pass's view of the world; rejects with the cluster's last error when it cannot be read even after retries. */
  private async observe(r: DeployRecord): Promise<Observation> {
    const retries = this.deps.observeRetries ?? 3;
    let colours;
    for (let attempt = 0; colours === undefined; attempt++) {
      try {
        colours = await this.deps.cluster.observe(this.app);
      } catch (err) {
        if (attempt >= retries) throw err;
        this.log.warn({ err, ...this.about(), attempt }, `reading the ReplicaSets of ${this.app.name} failed; trying again`);
        await this.deps.clock.sleep(this.pollMs, this.options.signal);
      }
    }
    const observed: Observation = {
      colours,
      ...(this.drained ? { drained: true } : {}),
      ...(this.smokePassed ? { smokePassed: true } : {}),
      ...(this.stageTried ? { staged: true } : {}),
      ...(this.gateReading ? { gate: this.gateReading } : {}),
      ...(this.lastSwitch ? { mixedWindowMs: this.lastSwitch.mixedWindowMs } : {}),
      ...(this.failure ? { failure: this.failure } : {}),
    };
    const known = this.knownFleet;
    this.knownFleet = undefined;
    if (!needsFleet(r) || this.failure) return observed;
    try {
      // A fresh discovery when a deploy starts; the nodes of this run afterwards.
      if (r.phase === 'discovering') this.nodes = undefined;
      observed.fleet = known ?? (await this.readFleet());
    } catch (err) {
      observed.failure = this.failed('read-fleet', asSwitchyardError(err, 'discovery-failed'));
    }
    return observed;
  }

  /**
   * What the nodes mark live. A node that could not be read may be a passing
   * SSH blip, and deciding on it could fail a deploy or send an unwind down
   * the wrong path, so it is read again (observeRetries times) first.
   */
  private async readFleet(): Promise<FleetView> {
    const retries = this.deps.observeRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const view = await this.deps.fleet.liveColour(await this.ensureNodes(), this.app);
      if (view.nodes.every((n) => !n.error) || attempt >= retries || this.options.signal?.aborted) return view;
      await this.deps.clock.sleep(this.pollMs, this.options.signal);
    }
  }

  private async ensureNodes(): Promise<FleetNode[]> {
    this.nodes ??= await this.deps.fleet.discover();
    return this.nodes;
  }

  private async act(actions: Action[], appState: AppState): Promise<void> {
    for (const action of actions) {
      // A lost lock or a shutdown ends the list too, not only the wait under way.
      if (this.halt || this.options.signal?.aborted) return;
      if (CHANGES.has(action.kind)) {
        await this.confirmFence();
        if (this.halt) return;
      }
      const wake = new AbortController();
      this.wake = wake;
      try {
        await this.perform(action, appState, AbortSignal.any([wake.signal, ...(this.options.signal ? [this.options.signal] : [])]));
      } catch (err) {
        // Woken by promote/abort or stopped by the agent: not a failure, the next pass decides.
        if (wake.signal.aborted || this.options.signal?.aborted) return;
        // A node refused a commit by fence: the lock was taken over; an unwind would be refused too.
        if (isFencedOut(err)) {
          this.halt = { reason: this.lostLock(err), err };
          return;
        }
        // A revert is named apart: decide must not take its failure for a forward switch's (see onFailure).
        const kind = action.kind === 'switch' && action.reason === 'revert' ? 'revert' : action.kind;
        this.failure = this.failed(kind, asSwitchyardError(err));
        return;
      } finally {
        this.wake = undefined;
      }
    }
  }

  /** An action's failure as decide reads it (message and hint), its whole chain in the log. */
  private failed(action: string, e: SwitchyardError): ActionFailure {
    this.log.warn({ err: e, ...this.about(), action }, `${action} failed`);
    return { action, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }

  private async perform(action: Action, appState: AppState, signal: AbortSignal): Promise<void> {
    const { cluster, fleet, clock } = this.deps;
    const app = this.app;
    switch (action.kind) {
      case 'create-colour':
        return cluster.createColour(app, action.colour, action.version, this.source(action, appState));
      case 'wait-ready':
        return this.watchingIntent(signal, (s) =>
          cluster.waitReady(app, action.colour, {
            timeoutMs: action.timeoutMs,
            signal: s,
            onProgress: (ready, desired) => this.emit({ ...this.about(), type: 'pods', colour: action.colour, ready, desired }),
          }),
        );
      case 'smoke':
        await fleet.smoke(await this.ensureNodes(), app, action.colour, { path: action.path, status: action.status }, signal);
        this.smokePassed = true;
        return;
      case 'await-intent':
      case 'await-ready': {
        const left = new Date(action.until).getTime() - clock.now().getTime();
        return clock.sleep(Math.max(0, Math.min(this.pollMs, left)), signal);
      }
      case 'stage':
        return this.stage(action);
      case 'unstage':
        this.staged = undefined;
        // Staged files change no traffic: one left behind is said, not a reason to fail the unwind.
        return fleet.unstage(await this.ensureNodes(), app).catch((err: unknown) => this.warn(appState.inFlight?.phase ?? 'verifying', 'could not remove the staged files', err));
      case 'switch':
        return this.switch(action);
      case 'post-deploy':
        return fleet.afterSwitch(await this.ensureNodes(), app);
      case 'wait-drained':
        return this.waitDrained(new Date(action.until), signal);
      case 'delete-colour':
        return cluster.deleteColour(app, action.colour);
      case 'scale-colour':
        return cluster.scaleColour(app, action.colour, action.replicas);
      case 'gate-check': {
        const wait = new Date(action.at).getTime() - clock.now().getTime();
        if (wait > 0) await clock.sleep(wait, signal);
        // Woken early (a person ended the window, a shutdown): the next pass decides without a new reading.
        if (signal.aborted) return;
        this.gateReading = await this.readGate(appState, new Date(action.since), signal);
        return;
      }
    }
  }

  private async readGate(appState: AppState, since: Date, signal: AbortSignal): Promise<GateReading> {
    const r = appState.inFlight!;
    const at = (): string => this.deps.clock.now().toISOString();
    if (!this.deps.gate) return { kind: 'unreadable', at: at(), message: 'this agent has no gate source' };
    try {
      return await this.deps.gate.read(await this.ensureNodes(), this.app, { colour: r.toColour, version: r.version, since }, signal);
    } catch (err) {
      return { kind: 'unreadable', at: at(), message: messageOf(err) };
    }
  }

  private source(action: Extract<Action, { kind: 'create-colour' }>, appState: AppState): CreateSource {
    if (action.from.kind !== 'previous') return action.from;
    const prev = appState.previous;
    if (!prev || prev.colour !== action.colour || prev.version !== action.version) {
      throw new SwitchyardError('deploy-failed', `no recorded template of ${this.app.name} ${action.version} to re-create ${action.colour} from`, {
        hint: 'deploy that version instead of rolling back',
      });
    }
    return { kind: 'recorded', template: prev.template, replicas: prev.replicas };
  }

  /** Staging is a head start only: when it fails the promote's switch prepares in full, and says so. */
  private async stage(action: Extract<Action, { kind: 'stage' }>): Promise<void> {
    this.stageTried = true;
    this.staged = undefined;
    try {
      this.staged = await this.deps.fleet.stage(await this.ensureNodes(), this.app, action.colour, { from: action.from });
    } catch (err) {
      this.warn('verifying', `could not stage the switch to ${action.colour} ahead of the promote; the switch will prepare in full`, err);
    }
  }

  private warn(phase: Phase, what: string, err: unknown): void {
    this.log.warn({ err, ...this.about(), phase }, what);
    this.emit({ ...this.about(), type: 'warning', phase, message: `${what}: ${messageOf(err)}` });
  }

  private async switch(action: Extract<Action, { kind: 'switch' }>): Promise<void> {
    const { colour, reason } = action;
    const nodes = await this.ensureNodes();
    const staged = reason === 'deploy' && this.staged?.colour === colour ? this.staged : undefined;
    this.staged = undefined;
    // Never interrupted by a shutdown: a switch half done is worse than one finished.
    const outcome = await this.deps.fleet.switchTo(nodes, this.app, colour, {
      fence: this.fence,
      ...(action.reason === 'deploy' ? { from: action.from } : {}),
      ...(staged ? { staged } : {}),
      onProgress: (switched, total) => this.emit({ ...this.about(), type: 'nodes', colour, switched, total }),
    });
    if (outcome.restaged) this.warn('switching', 'the files staged for the switch had changed, so it prepared in full', new Error(outcome.restaged));
    if (reason === 'deploy') this.lastSwitch = outcome;
    this.knownFleet = { agreed: colour, nodes: nodes.map((n) => ({ node: n.name, colour })) };
    const total = nodes.length;
    this.emit({ ...this.about(), type: 'nodes', colour, switched: total, total, mixedWindowMs: outcome.mixedWindowMs });
  }

  /**
   * Waits in slices of pollMs so each pass re-checks the new colour's pods.
   * Without the switch's evidence (after a restart) or if the fleet cannot
   * tell, the drain simply lasts until its deadline; a node that cannot tell
   * is asked again every slice, and said once per different problem.
   */
  private async waitDrained(until: Date, signal: AbortSignal): Promise<void> {
    const { clock, fleet } = this.deps;
    const slice = new Date(Math.min(until.getTime(), clock.now().getTime() + this.pollMs));
    if (this.lastSwitch) {
      const verdict = await fleet.waitDrained(this.lastSwitch, slice, signal)
        .catch((err: unknown) => ({ drained: false, problems: signal.aborted ? [] : [messageOf(err)] }));
      if (verdict.drained) {
        this.drained = true;
        return;
      }
      const said = verdict.problems.join('; ');
      if (said && said !== this.drainProblems) {
        this.emit({ ...this.about(), type: 'warning', phase: 'draining', message: `cannot tell whether the old nginx workers drained (waiting out the drain): ${said}` });
      }
      this.drainProblems = said;
    }
    const left = slice.getTime() - clock.now().getTime();
    if (left > 0) await clock.sleep(left, signal);
  }

  /**
   * Runs a long wait while re-reading state every pollMs, so an abort recorded
   * by another agent ends the wait instead of waiting out a ten-minute timeout.
   */
  private async watchingIntent(signal: AbortSignal, wait: (s: AbortSignal) => Promise<void>): Promise<void> {
    const done = new AbortController();
    const watch = (async () => {
      while (!done.signal.aborted) {
        await this.deps.clock.sleep(this.pollMs, done.signal);
        if (done.signal.aborted) return;
        const r = await this.deps.state.read(this.app.name).then((s) => s.inFlight, () => undefined);
        if (r && r.id === this.deployId && r.abortedBy) this.nudge();
      }
    })();
    try {
      await wait(AbortSignal.any([signal, done.signal]));
    } finally {
      done.abort();
      await watch;
    }
  }
}

/** Runs one deploy to a final phase (or until stopped); see DeployRunner. */
export const runDeploy = (deps: DeployDeps, app: AppConfig, deployId: string, options?: RunOptions): Promise<RunResult> =>
  new DeployRunner(deps, app, deployId, options).run();

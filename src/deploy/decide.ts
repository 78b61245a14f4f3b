import type { AppConfig } from '../config/schema.js';
import { reconcileHint } from '../errors/reconcile-hint.js';
import type { Actor, DeployRecord } from '../state/app-state.js';
import { otherColour } from '../validate/patterns.js';
import type { CreateFrom, Decision, RecordPatch } from './decision.js';
import { enteredAt, isReady, isUnwinding, readyText } from './deploy-phases.js';
import type { Observation } from './observation.js';
import type { ReplicaSetView } from './ports.js';
import { unwind } from './unwind.js';
import { decideGating } from '../gate/decide-gating.js';

/** The actor of what the agent decides on its own (a verification that timed out). */
export const AGENT_ACTOR: Actor = { via: 'agent', id: 'switchyard' };

/**
 * The deploy state machine, pure: from the recorded in-flight deploy, what the
 * cluster and fleet look like now, and the time, the next phase and the
 * actions to take. It re-derives everything on each pass (as Argo Rollouts
 * does), so a runner that was killed simply calls it again: every phase's
 * answer is correct whether the phase was just entered or is being resumed.
 *
 * @example
 * const d = decide(state.inFlight, { colours }, clock.now(), app);
 * // { phase: 'waiting', actions: [{ kind: 'wait-ready', colour: 'green', timeoutMs: 600000 }] }
 */
export function decide(record: DeployRecord, observed: Observation, now: Date, config: AppConfig): Decision {
  const r = record;
  switch (r.phase) {
    case 'done':
    case 'aborted':
    case 'failed':
    case 'rolled-back':
    case 'auto-rolled-back':
      return { phase: r.phase, actions: [] };
    default:
  }
  if (observed.failure) return onFailure(r, observed);
  if (isUnwinding(r)) return unwind(r, observed);
  switch (r.phase) {
    case 'pending':
      return pending(r, observed, now, config);
    case 'discovering':
      return discovering(r, observed, config);
    case 'creating':
      return creating(r, observed, config);
    case 'waiting':
      return waiting(r, observed, now, config);
    case 'verifying':
      return verifying(r, observed, now, config);
    case 'switching':
      return switching(r, observed, now, config);
    case 'gating':
      return gating(r, observed, now, config);
    case 'draining':
      return draining(r, observed, now, config);
    default:
      return retiring(r, observed, config);
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
const rsName = (r: DeployRecord, colour = r.toColour): string => `${r.app}-${colour}`;
const stay = (r: DeployRecord): Decision => ({ phase: r.phase, actions: [] });
const switchTo = (r: DeployRecord): Decision => ({
  phase: 'switching',
  actions: [{ kind: 'switch', colour: r.toColour, reason: 'deploy', from: r.fromColour ?? otherColour(r.toColour) }],
});
const hasPostDeploy = (config: AppConfig): boolean => Boolean(config.postDeployCommand || (config.releasesDir && config.keepReleases));
const pauseRequired = (r: DeployRecord, config: AppConfig): boolean =>
  r.kind === 'deploy' && !r.skipVerify && config.verify.required;

/** Starts unwinding with `patch` (an error, an abort) recorded first, so a restart carries the unwind on. */
function startUnwind(r: DeployRecord, obs: Observation, patch: RecordPatch, note: string, by?: Actor): Decision {
  const d = unwind({ ...r, ...patch }, obs);
  return { ...d, patch: { ...patch, ...d.patch }, note: d.note ? `${note}; ${d.note}` : note, ...(by ? { by } : {}) };
}

function fail(r: DeployRecord, obs: Observation, code: string, message: string, hint?: string): Decision {
  return startUnwind(r, obs, { error: { code, message, phase: r.phase, ...(hint ? { hint } : {}) } }, message);
}

function onFailure(r: DeployRecord, obs: Observation): Decision {
  const f = obs.failure!;
  if (isUnwinding(r)) {
    // A step of the unwind itself failed: stop, and say what may be left behind.
    const base = r.error ?? { code: 'deploy-aborted', message: `aborted`, phase: r.phase };
    const message = `${base.message}; then ${f.action} failed while unwinding: ${f.message}`;
    // What to do about what may be left behind comes first: the step that failed says it.
    return { phase: 'failed', actions: [], patch: { error: { ...base, message, ...(f.hint ? { hint: f.hint } : {}) } }, note: message };
  }
  if (r.phase === 'retiring') {
    // Traffic already moved and drained: the deploy stands, only the clean-up failed.
    const message = `${f.message}; traffic stays on ${r.toColour}, ${rsName(r, r.fromColour ?? otherColour(r.toColour))} may still exist`;
    return {
      phase: 'failed',
      actions: [],
      patch: { error: { code: f.code, message, phase: r.phase, ...(f.hint ? { hint: f.hint } : {}) } },
      live: { colour: r.toColour, version: r.version },
      note: message,
    };
  }
  if (f.action === 'revert') {
    // A revert only runs on a fleet an interrupted switch left mixed, so even one
    // that failed in prepare (changing nothing) leaves traffic touched: recorded
    // under its own code, the unwind then reads the fleet instead of deleting a
    // colour some nodes still serve.
    const old = r.fromColour ?? otherColour(r.toColour);
    return fail(r, obs, 'switch-revert-failed', `putting every node of ${r.app} back on ${old} failed: ${f.message}`, f.hint);
  }
  return fail(r, obs, f.code, f.message, f.hint);
}

/**
 * A held deploy (CI's, for an app with `requireStart`) waits here, having
 * created nothing, for a Start; a Reject is an abort. It waits as long as a
 * verification would.
 */
function pending(r: DeployRecord, obs: Observation, now: Date, config: AppConfig): Decision {
  if (!r.hold) return { phase: 'discovering', actions: [], by: r.requestedBy };
  if (r.startedBy) return { phase: 'discovering', actions: [], by: r.startedBy, note: 'started' };
  const until = new Date(new Date(r.requestedAt).getTime() + config.verify.timeout * 1000);
  if (now >= until) {
    const message = `${r.app} ${r.version} was not started by ${until.toISOString()}`;
    return startUnwind(r, obs, { abortedBy: AGENT_ACTOR, error: { code: 'deploy-aborted', message, phase: r.phase } }, message, AGENT_ACTOR);
  }
  return { phase: 'pending', actions: [{ kind: 'await-intent', until: until.toISOString() }] };
}

function discovering(r: DeployRecord, obs: Observation, config: AppConfig): Decision {
  const fleet = obs.fleet;
  if (!fleet) return stay(r);
  if (fleet.nodes.length === 0) return fail(r, obs, 'discovery-failed', `no nodes found to switch ${r.app}`);
  const unread = fleet.nodes.filter((n) => n.colour === null);
  if (unread.length > 0) {
    const list = unread.map((n) => `${n.node}${n.error ? ` (${n.error})` : ''}`).join(', ');
    return fail(r, obs, 'fleet-disagrees', `could not read the live colour of ${r.app} on ${list}`);
  }
  if (fleet.agreed === null) {
    const list = fleet.nodes.map((n) => `${n.node} ${n.colour}`).join(', ');
    return fail(r, obs, 'fleet-disagrees', `nodes disagree on the live colour of ${r.app}: ${list}`, reconcileHint(r.app));
  }
  const patch: RecordPatch = {};
  if (r.fromColour === null) {
    // First deploy, or state lost: the nodes say which colour is live; adopt it if it runs.
    const running = obs.colours[fleet.agreed];
    if (running) Object.assign(patch, { fromColour: fleet.agreed, fromVersion: running.version });
    if (r.toColour !== otherColour(fleet.agreed)) patch.toColour = otherColour(fleet.agreed);
  } else if (fleet.agreed !== r.fromColour) {
    return fail(r, obs, 'fleet-disagrees', `every node marks ${fleet.agreed} live for ${r.app} but the state records ${r.fromColour}`, reconcileHint(r.app));
  }
  const next: DeployRecord = { ...r, ...patch };
  const withPatch = (d: Decision): Decision => (Object.keys(patch).length > 0 ? { ...d, patch: { ...patch, ...d.patch } } : d);
  const target = obs.colours[next.toColour];
  if (next.kind === 'rollback' && target?.version === next.version && isReady(target)) {
    return withPatch({ ...switchTo(next), note: `${rsName(next)} still runs ${next.version}: switching straight back` });
  }
  return withPatch(creating(next, obs, config));
}

function createFrom(r: DeployRecord, obs: Observation, config: AppConfig): CreateFrom | undefined {
  if (r.kind === 'rollback') return { kind: 'previous' };
  if (r.fromColour && obs.colours[r.fromColour]) return { kind: 'mirror', colour: r.fromColour };
  return config.template ? { kind: 'template' } : undefined;
}

function creating(r: DeployRecord, obs: Observation, config: AppConfig): Decision {
  const existing = obs.colours[r.toColour];
  if (existing?.version === r.version) {
    return { phase: 'waiting', actions: [{ kind: 'wait-ready', colour: r.toColour, timeoutMs: config.readyTimeout * 1000 }] };
  }
  const from = createFrom(r, obs, config);
  if (!from) {
    return fail(r, obs, 'deploy-failed', `no colour of ${r.app} runs to mirror and the app has no template in config`);
  }
  const create = { kind: 'create-colour', colour: r.toColour, version: r.version, from } as const;
  // A colour kept from an earlier deploy (retention) gives way to the new version.
  return {
    phase: 'creating',
    actions: existing ? [{ kind: 'delete-colour', colour: r.toColour }, create] : [create],
  };
}

function waiting(r: DeployRecord, obs: Observation, now: Date, config: AppConfig): Decision {
  const rs = obs.colours[r.toColour];
  if (!rs) return fail(r, obs, 'deploy-failed', `ReplicaSet ${rsName(r)} disappeared while waiting for its pods`);
  if (isReady(rs)) {
    if (r.kind === 'rollback') return { ...switchTo(r), note: `${rsName(r)} ${readyText(rs)}` };
    const patch = pauseRequired(r, config) ? { verifyUntil: iso(now.getTime() + config.verify.timeout * 1000) } : undefined;
    const smoke = config.verify.smoke;
    return {
      phase: 'verifying',
      actions: smoke ? [{ kind: 'smoke', colour: r.toColour, path: smoke.path, status: smoke.status }] : [],
      ...(patch ? { patch } : {}),
      note: `${rsName(r)} ${readyText(rs)}`,
    };
  }
  const deadline = (enteredAt(r, 'waiting') ?? now).getTime() + config.readyTimeout * 1000;
  if (now.getTime() >= deadline) {
    return fail(r, obs, 'pods-not-ready', `${rsName(r)} has ${readyText(rs)} after ${config.readyTimeout}s`);
  }
  return { phase: 'waiting', actions: [{ kind: 'wait-ready', colour: r.toColour, timeoutMs: deadline - now.getTime() }] };
}

/**
 * The new colour, Ready before, lacks Ready pods now (a pod restarting, its
 * node drained). For the app's readinessGraceSeconds the deploy only waits
 * (no switch, no retire, a promote waits too); a loss that lasts longer fails
 * it. The grace runs from when a pass first saw the loss, recorded in
 * notReadySince with a note, so a restarted runner keeps the deadline and
 * the history says when it happened. A colour that is gone fails at once.
 */
function readinessLost(r: DeployRecord, obs: Observation, rs: ReplicaSetView | null, now: Date, config: AppConfig, code: string, during: string): Decision {
  const grace = config.readinessGraceSeconds;
  const since = r.notReadySince ? new Date(r.notReadySince) : now;
  const until = new Date(since.getTime() + grace * 1000);
  const what = `${rsName(r)} lost Ready pods ${during}`;
  if (!rs || now >= until) {
    const lasted = rs && grace > 0 ? ` at ${since.toISOString()} and was not Ready again within ${grace}s` : '';
    return fail(r, obs, code, `${what}${lasted} (${readyText(rs)})`);
  }
  const wait: Decision = { phase: r.phase, actions: [{ kind: 'await-ready', colour: r.toColour, until: until.toISOString() }] };
  if (r.notReadySince) return wait;
  return { ...wait, patch: { notReadySince: now.toISOString() }, note: `${what} (${readyText(rs)}); the deploy fails unless they are all Ready again by ${until.toISOString()}` };
}

/** `d`, and once the colour is Ready again after a loss, the loss cleared and how long it lasted noted. */
function readyAgain(r: DeployRecord, rs: ReplicaSetView, now: Date, d: Decision): Decision {
  if (!r.notReadySince) return d;
  const seconds = Math.round((now.getTime() - new Date(r.notReadySince).getTime()) / 1000);
  const note = `${rsName(r)} Ready again (${readyText(rs)}) after ${seconds}s`;
  return { ...d, patch: { ...d.patch, notReadySince: undefined }, note: d.note ? `${note}; ${d.note}` : note };
}

function verifying(r: DeployRecord, obs: Observation, now: Date, config: AppConfig): Decision {
  const rs = obs.colours[r.toColour];
  if (!isReady(rs)) return readinessLost(r, obs, rs, now, config, 'pods-not-ready', 'while being verified');
  return readyAgain(r, rs, now, verifyingReady(r, obs, now, config));
}

function verifyingReady(r: DeployRecord, obs: Observation, now: Date, config: AppConfig): Decision {
  const smoke = config.verify.smoke;
  if (smoke && !obs.smokePassed) {
    return { phase: 'verifying', actions: [{ kind: 'smoke', colour: r.toColour, path: smoke.path, status: smoke.status }] };
  }
  if (!pauseRequired(r, config)) return { ...switchTo(r), note: 'no verification pause' };
  if (r.promotedBy) return { ...switchTo(r), by: r.promotedBy, note: 'promoted' };
  const until = r.verifyUntil
    ? new Date(r.verifyUntil)
    : new Date((enteredAt(r, 'verifying') ?? now).getTime() + config.verify.timeout * 1000);
  if (now >= until) {
    const message = `verification of ${r.app} ${r.version} timed out at ${until.toISOString()} without a promote`;
    const patch = { abortedBy: AGENT_ACTOR, error: { code: 'deploy-aborted', message, phase: r.phase } };
    return startUnwind(r, obs, patch, message, AGENT_ACTOR);
  }
  const wait = { kind: 'await-intent', until: until.toISOString() } as const;
  if (obs.staged) return { phase: 'verifying', actions: [wait] };
  return { phase: 'verifying', actions: [{ kind: 'stage', colour: r.toColour, from: r.fromColour ?? otherColour(r.toColour) }, wait] };
}

function switching(r: DeployRecord, obs: Observation, now: Date, config: AppConfig): Decision {
  const fleet = obs.fleet;
  if (!fleet) return stay(r);
  const old = r.fromColour ?? otherColour(r.toColour);
  if (fleet.agreed === r.toColour) {
    const switched: RecordPatch = {
      switchedAt: now.toISOString(),
      switched: { nodes: fleet.nodes.length, ...(obs.mixedWindowMs === undefined ? {} : { mixedWindowMs: obs.mixedWindowMs }) },
    };
    const live = { colour: r.toColour, version: r.version };
    if (config.gate && r.kind === 'deploy') {
      // Invariant 4: the old colour keeps running, undrained, until the gate's window passes.
      const until = iso(now.getTime() + config.gate.window * 1000);
      return {
        phase: 'gating',
        actions: [{ kind: 'gate-check', at: now.toISOString(), since: now.toISOString() }],
        patch: { ...switched, gate: { since: now.toISOString(), until } },
        live,
        note: `every node on ${r.toColour}; the gate watches it until ${until}`,
      };
    }
    return { ...toDraining(now, config, `every node on ${r.toColour}`), patch: { ...switched, drainUntil: iso(now.getTime() + config.drainSeconds * 1000) }, live };
  }
  if (fleet.agreed !== old) {
    // Killed mid-switch (or a node unreadable): never leave the fleet mixed; back to the old colour first.
    const list = fleet.nodes.map((n) => `${n.node} ${n.colour ?? n.error ?? 'unknown'}`).join(', ');
    return {
      phase: 'switching',
      actions: [{ kind: 'switch', colour: old, reason: 'revert' }],
      note: `nodes disagree after an interrupted switch (${list}); putting every node back on ${old}`,
    };
  }
  const rs = obs.colours[r.toColour];
  if (!isReady(rs)) return fail(r, obs, 'pods-not-ready', `not switching ${r.app} to ${r.toColour}: ${rsName(r)} has ${readyText(rs)}`);
  return switchTo(r);
}

function toDraining(now: Date, config: AppConfig, note: string): Decision {
  const drainUntil = iso(now.getTime() + config.drainSeconds * 1000);
  return { phase: 'draining', actions: [{ kind: 'wait-drained', until: drainUntil }], patch: { drainUntil }, note };
}

/**
 * The gate's window (src/gate/decide-gating.ts). Losing the new colour's
 * readiness here is handled as while draining; without the old colour there
 * is nothing to go back to, so the window ends.
 */
function gating(r: DeployRecord, obs: Observation, now: Date, config: AppConfig): Decision {
  const rs = obs.colours[r.toColour];
  const old = r.fromColour ? obs.colours[r.fromColour] : null;
  if (!r.gate?.rollback) {
    if (!isReady(rs) && old) return readinessLost(r, obs, rs, now, config, 'deploy-failed', 'during the gate window');
    if (!config.gate || !r.gate) return toDraining(now, config, 'the app has no gate any more');
    if (!old) return toDraining(now, config, `${rsName(r, r.fromColour ?? otherColour(r.toColour))} is gone: nothing for the gate to go back to`);
  }
  const d = decideGating(r, r.gate!, obs, now, { ...config, gate: config.gate! });
  if (!('passed' in d)) return isReady(rs) ? readyAgain(r, rs, now, d) : d;
  const next = toDraining(now, config, d.note);
  return { ...next, patch: { ...d.patch, ...next.patch }, ...(d.by ? { by: d.by } : {}) };
}

function draining(r: DeployRecord, obs: Observation, now: Date, config: AppConfig): Decision {
  const rs = obs.colours[r.toColour];
  const old = r.fromColour ? obs.colours[r.fromColour] : null;
  // Traffic goes back to the old colour only while it still runs; without it there is nothing to go back to.
  if (!isReady(rs) && old) return readinessLost(r, obs, rs, now, config, 'deploy-failed', 'after the switch');
  const d = drainingOn(r, obs, now, config, old);
  return isReady(rs) ? readyAgain(r, rs, now, d) : d;
}

function drainingOn(r: DeployRecord, obs: Observation, now: Date, config: AppConfig, old: ReplicaSetView | null): Decision {
  const until = r.drainUntil ?? now.toISOString();
  if (!obs.drained && now < new Date(until)) return { phase: 'draining', actions: [{ kind: 'wait-drained', until }] };
  const keep = config.retainMinutes > 0;
  return {
    phase: 'retiring',
    actions: [...(hasPostDeploy(config) ? [{ kind: 'post-deploy' } as const] : []), ...(old && !keep ? [{ kind: 'delete-colour', colour: r.fromColour! } as const] : [])],
    ...(old && r.fromColour
      ? { previous: { colour: r.fromColour, version: old.version, template: old.template, replicas: old.replicas } }
      : {}),
    note: obs.drained ? 'every node drained' : 'drain time passed',
  };
}

function retiring(r: DeployRecord, obs: Observation, config: AppConfig): Decision {
  const old = r.fromColour ? obs.colours[r.fromColour] : null;
  const keep = config.retainMinutes > 0;
  if (old && !keep) return { phase: 'retiring', actions: [{ kind: 'delete-colour', colour: r.fromColour! }] };
  return {
    phase: r.kind === 'rollback' ? 'rolled-back' : 'done',
    actions: [],
    live: { colour: r.toColour, version: r.version },
    ...(old ? { note: `${rsName(r, r.fromColour!)} kept ${config.retainMinutes} min for an instant rollback` } : {}),
  };
}

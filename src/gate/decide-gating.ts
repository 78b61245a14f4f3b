import type { AppConfig } from '../config/schema.js';
import type { Decision, RecordPatch } from '../deploy/decision.js';
import type { Observation } from '../deploy/observation.js';
import { formatActor } from '../deploy/wording.js';
import type { Actor, DeployRecord } from '../state/app-state.js';
import { otherColour } from '../validate/patterns.js';
import { evaluateGate } from './evaluate-gate.js';
import { describeFigures } from './gate-figures.js';
import type { GateRecord } from './gate-record.js';

/** The window is over and the deploy goes on to drain: why, who ended it early, the latest figures. */
export interface GatePassed {
  passed: true;
  note: string;
  by?: Actor;
  patch?: RecordPatch;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The gating phase, pure (called by decide once the new colour is Ready and
 * the old one still runs): judge the latest check, read again at the next
 * check time, or end the window. A crossed threshold, an unreadable source
 * under `rollback`, or a person's roll back records the evidence first and
 * switches every node back at once; the deploy then ends auto-rolled-back
 * with the new colour kept for inspection, scaled to `gate.keepReplicas`
 * when set (else as it ran). An unreadable source
 * under `hold` stays in the window until a person decides. The window passes
 * only on a check made at or after its end.
 *
 * @example
 * const d = decideGating(record, record.gate, { colours, gate: reading }, now, app);
 * if ('passed' in d) ... // on to draining, with d.note
 */
export function decideGating(r: DeployRecord, g: GateRecord, obs: Observation, now: Date, config: AppConfig & { gate: NonNullable<AppConfig['gate']> }): Decision | GatePassed {
  const gate = config.gate;
  const old = r.fromColour ?? otherColour(r.toColour);
  if (g.rollback) return switchingBack(r, obs, old, gate.keepReplicas);
  if (g.ended?.how === 'accept') return { passed: true, by: g.ended.by, note: `gate window ended early by ${formatActor(g.ended.by)}: accepted` };
  if (g.ended?.how === 'rollback') return rollBack(g, old, { reason: `gate window ended early by ${formatActor(g.ended.by)}: rolled back`, crossed: [], nodes: [] }, g.ended.by);
  const every = gate.checkEvery * 1000;
  if (g.held) return { phase: 'gating', actions: [{ kind: 'await-intent', until: iso(now.getTime() + every) }] };
  const reading = obs.gate;
  if (!reading) return { phase: 'gating', actions: [{ kind: 'gate-check', at: now.toISOString(), since: g.since }] };
  const verdict = evaluateGate(reading, gate);
  const figures = reading.kind === 'figures' ? reading.figures : undefined;
  const seen: GateRecord = figures ? { ...g, figures } : g;
  switch (verdict.kind) {
    case 'fail':
      return rollBack(seen, old, { reason: `gate: ${verdict.crossed.join(', ')} (${describeFigures(verdict.figures)})`, crossed: verdict.crossed, nodes: verdict.nodes, figures: verdict.figures });
    case 'source-unreadable':
      if (gate.onUnreadable === 'rollback') return rollBack(seen, old, { reason: `gate: ${verdict.message}`, crossed: [], nodes: [] });
      return {
        phase: 'gating',
        actions: [{ kind: 'await-intent', until: iso(now.getTime() + every) }],
        patch: { gate: { ...seen, held: { at: now.toISOString(), message: verdict.message } } },
        note: `gate: ${verdict.message}; holding the window until someone rolls back or accepts`,
      };
    default:
  }
  const patch: RecordPatch | undefined = figures && figures.at !== g.figures?.at ? { gate: seen } : undefined;
  const until = new Date(g.until).getTime();
  if (new Date(verdict.figures.at).getTime() >= until) {
    const note = verdict.kind === 'pass'
      ? `gate passed: ${describeFigures(verdict.figures)}`
      : `gate window passed with ${verdict.figures.requests} requests, fewer than the ${gate.minRequests} it judges: not judged`;
    return { passed: true, note, ...(patch ? { patch } : {}) };
  }
  const next = Math.min(new Date(verdict.figures.at).getTime() + every, until);
  return { phase: 'gating', actions: [{ kind: 'gate-check', at: iso(Math.max(next, now.getTime())), since: g.since }], ...(patch ? { patch } : {}) };
}

/** Records why traffic goes back, then switches every node back to the old colour at once. */
function rollBack(g: GateRecord, old: DeployRecord['toColour'], rollback: NonNullable<GateRecord['rollback']>, by?: Actor): Decision {
  const where = rollback.nodes.length > 0 ? ` on ${rollback.nodes.join(', ')}` : '';
  return {
    phase: 'gating',
    actions: [{ kind: 'switch', colour: old, reason: 'revert' }],
    patch: { gate: { ...g, rollback } },
    note: `${rollback.reason}${where}; switching every node back to ${old}`,
    ...(by ? { by } : {}),
  };
}

/**
 * The switch back is recorded: once every node is on the old colour (and the
 * kept colour is scaled as configured: only then, so no traffic still needs
 * its pods), the deploy ends auto-rolled-back.
 */
function switchingBack(r: DeployRecord, obs: Observation, old: DeployRecord['toColour'], keepReplicas: number | undefined): Decision {
  if (!obs.fleet) return { phase: 'gating', actions: [] };
  if (obs.fleet.agreed !== old) return { phase: 'gating', actions: [{ kind: 'switch', colour: old, reason: 'revert' }] };
  const kept = obs.colours[r.toColour];
  if (kept && keepReplicas !== undefined && kept.replicas !== keepReplicas) {
    return { phase: 'gating', actions: [{ kind: 'scale-colour', colour: r.toColour, replicas: keepReplicas }] };
  }
  const version = r.fromVersion ?? obs.colours[old]?.version;
  const how = kept && keepReplicas !== undefined ? `scaled to ${keepReplicas} replicas` : 'as it is';
  return {
    phase: 'auto-rolled-back',
    actions: [],
    live: version ? { colour: old, version } : null,
    note: `every node back on ${old}; ${r.app}-${r.toColour} ${r.version} kept ${how} for inspection`,
  };
}

import type { AppConfig } from '../config/schema.js';
import type { Actor, AppState, DeployRecord, Phase } from '../state/app-state.js';
import { applyDecision } from './apply-decision.js';
import { decide } from './decide.js';
import type { GateReading } from '../gate/evaluate-gate.js';
import type { Action } from './decision.js';
import { describeAction } from './describe-action.js';
import type { ColoursView, FleetView } from './ports.js';

export interface PlanStep {
  phase: Phase;
  actions: Action[];
  /** The actions in words. */
  lines: string[];
  note?: string;
}

const PLANNER: Actor = { via: 'agent', id: 'plan' };

/**
 * What a deploy would do from the world as it is now, touching nothing: the
 * real `decide` run against a simulated world in which every action succeeds
 * and a promote arrives when one is waited for. Because it is the same
 * machine, the plan cannot drift from what a deploy does.
 *
 * @example
 * planDeploy(record, { colours, fleet: view }, clock.now(), app, state.previous)
 *   .flatMap((s) => s.lines); // ["create blog-green at v2 from a mirror of blog-blue", ...]
 */
export function planDeploy(
  record: DeployRecord,
  world: { colours: ColoursView; fleet: FleetView },
  now: Date,
  config: AppConfig,
  previous: AppState['previous'] = null,
): PlanStep[] {
  let r: DeployRecord | null = record;
  const colours: ColoursView = { ...world.colours };
  let fleet = world.fleet;
  let smokePassed = false;
  let staged = false;
  let drained = false;
  let gate: GateReading | undefined;
  const steps: PlanStep[] = [];
  // A deploy takes about a dozen decisions; the bound only guards against a loop.
  for (let pass = 0; r && pass < 50; pass++) {
    const d = decide(r, { colours, fleet, smokePassed, staged, drained, ...(gate ? { gate } : {}) }, now, config);
    if (d.phase !== r.phase) [smokePassed, staged, drained, gate] = [false, false, false, undefined];
    if (d.phase !== r.phase || d.actions.length > 0) {
      steps.push({ phase: d.phase, actions: d.actions, lines: d.actions.map((a) => describeAction(a, config)), ...(d.note ? { note: d.note } : {}) });
    }
    const state: AppState = { app: r.app, live: null, previous, inFlight: r, history: [] };
    r = applyDecision(state, d, now, PLANNER).inFlight;
    for (const a of d.actions) {
      switch (a.kind) {
        case 'create-colour': {
          const replicas =
            a.from.kind === 'mirror' ? (colours[a.from.colour]?.replicas ?? config.fallbackReplicas)
            : a.from.kind === 'previous' ? (previous?.replicas ?? config.fallbackReplicas)
            : config.fallbackReplicas;
          colours[a.colour] = { version: a.version, replicas, readyReplicas: 0, generation: 1, observedGeneration: 1, template: {} };
          break;
        }
        case 'wait-ready': {
          const rs = colours[a.colour];
          if (rs) colours[a.colour] = { ...rs, readyReplicas: rs.replicas };
          break;
        }
        case 'smoke':
          smokePassed = true;
          break;
        case 'stage':
          staged = true;
          break;
        case 'await-intent':
          if (r) r = { ...r, promotedBy: PLANNER };
          break;
        case 'switch':
          fleet = { agreed: a.colour, nodes: fleet.nodes.map((n) => ({ node: n.node, colour: a.colour })) };
          break;
        case 'wait-drained':
          drained = true;
          break;
        case 'gate-check': {
          // The plan's gate passes: a check at the window's end with just enough good requests.
          const requests = config.gate?.minRequests ?? 0;
          gate = { kind: 'figures', figures: { source: config.gate?.source ?? 'nginx', at: r?.gate?.until ?? a.at, requests, errors: 0, errorRatio: 0 } };
          break;
        }
        case 'delete-colour':
          colours[a.colour] = null;
          break;
        case 'scale-colour': {
          const rs = colours[a.colour];
          if (rs) colours[a.colour] = { ...rs, replicas: a.replicas, readyReplicas: Math.min(rs.readyReplicas, a.replicas) };
          break;
        }
      }
    }
  }
  return steps;
}

import { FINAL_PHASES, type DeployRecord, type Phase } from '../state/app-state.js';
import type { ReplicaSetView } from './ports.js';

/** Before the switch traffic is untouched: an abort or failure only removes the new colour. */
export const PRE_SWITCH_PHASES: readonly Phase[] = ['pending', 'discovering', 'creating', 'waiting', 'verifying'];

export const isFinal = (phase: Phase): boolean => FINAL_PHASES.includes(phase);
export const isPreSwitch = (phase: Phase): boolean => PRE_SWITCH_PHASES.includes(phase);

/**
 * A record is unwinding once it carries an error, or an abort that arrived
 * before the switch. Its phase stays the one it failed in until the unwind
 * ends in 'failed' or 'aborted', so an agent killed while unwinding carries
 * the unwind on.
 */
export const isUnwinding = (r: DeployRecord): boolean =>
  !isFinal(r.phase) && (r.error !== undefined || (r.abortedBy !== undefined && isPreSwitch(r.phase)));

/** Errors a fleet switch raises before it changed any node (prepare failed everywhere it was tried). */
const UNTOUCHED_BY_SWITCH = ['switch-prepare-failed', 'fleet-disagrees'];

/**
 * Whether traffic is as it was before this deploy: it never reached the
 * switch, or its switch failed in prepare, where no node changed. Unwinding
 * such a deploy leaves the fleet alone (a node that could not be read then
 * cannot be read now either, and needs nothing).
 */
export const isTrafficUntouched = (r: DeployRecord): boolean =>
  isPreSwitch(r.phase) || (r.phase === 'switching' && r.error !== undefined && UNTOUCHED_BY_SWITCH.includes(r.error.code));

/**
 * Whether a pass must read every node's upstream file: to check agreement
 * before creating anything, to learn where an (interrupted) switch left the
 * fleet, and to put traffic back while unwinding after the switch or when
 * the gate rolls back.
 */
export const needsFleet = (r: DeployRecord): boolean =>
  isUnwinding(r) ? !isTrafficUntouched(r) : r.phase === 'discovering' || r.phase === 'switching' || (r.phase === 'gating' && r.gate?.rollback !== undefined);

/**
 * Invariant 1: a colour may take traffic only when all its desired pods are
 * Ready, counted at the ReplicaSet's current generation.
 */
export const isReady = (rs: ReplicaSetView | null | undefined): rs is ReplicaSetView =>
  rs !== null && rs !== undefined && rs.replicas > 0 && rs.observedGeneration >= rs.generation && rs.readyReplicas >= rs.replicas;

export const readyText = (rs: ReplicaSetView | null | undefined): string =>
  rs ? `${rs.readyReplicas}/${rs.replicas} Ready` : 'no ReplicaSet';

/**
 * When the record entered `phase` it is in now: the first transition of the
 * latest run of transitions in that phase (notes such as "promote requested"
 * are recorded in the current phase and must not move the deadline).
 */
export function enteredAt(r: DeployRecord, phase: Phase): Date | undefined {
  let at: string | undefined;
  for (let i = r.transitions.length - 1; i >= 0 && r.transitions[i]!.phase === phase; i--) at = r.transitions[i]!.at;
  return at === undefined ? undefined : new Date(at);
}

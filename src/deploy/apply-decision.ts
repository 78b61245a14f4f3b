import { HISTORY_LIMIT, type Actor, type AppState, type DeployRecord } from '../state/app-state.js';
import type { Decision } from './decision.js';
import { isFinal } from './deploy-phases.js';

/** Whether recording `d` writes anything: a new phase, fields, a note, or the app's colours. */
export const decisionRecords = (record: DeployRecord, d: Decision): boolean =>
  d.phase !== record.phase || d.patch !== undefined || d.note !== undefined || 'live' in d || d.previous !== undefined;

/**
 * The app's state after recording a decision about its in-flight deploy:
 * the phase and fields set, a transition saying who asked and why, the live
 * and previous colours, and on a final phase the record moved to history.
 * Pure, so a compare-and-swap adapter may call it again on a conflict.
 *
 * @example
 * await state.update('blog', (s) => applyDecision(s, decision, clock.now(), agentActor));
 */
export function applyDecision(state: AppState, d: Decision, now: Date, agent: Actor): AppState {
  const r = state.inFlight;
  if (!r || !decisionRecords(r, d)) return state;
  const at = now.toISOString();
  const next: DeployRecord = {
    ...r,
    ...d.patch,
    phase: d.phase,
    transitions: [...r.transitions, { phase: d.phase, at, by: d.by ?? agent, ...(d.note ? { note: d.note } : {}) }],
  };
  const colours: Partial<AppState> = {
    ...('live' in d ? { live: d.live ?? null } : {}),
    ...(d.previous ? { previous: d.previous } : {}),
  };
  if (!isFinal(d.phase)) return { ...state, ...colours, inFlight: next };
  const finished = { ...next, finishedAt: at };
  return { ...state, ...colours, inFlight: null, history: [finished, ...state.history].slice(0, HISTORY_LIMIT) };
}

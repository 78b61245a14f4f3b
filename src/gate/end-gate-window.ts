import { SwitchyardError } from '../errors/switchyard-error.js';
import type { Actor, AppState } from '../state/app-state.js';

export type GateEnd = 'accept' | 'rollback';

/**
 * The app's state with its gate window ended early by a person: `accept`
 * goes on to the drain, `rollback` switches every node back at once (its
 * runner acts on it). Asking again for what is already asked changes
 * nothing; a deploy without an open window is refused with wrong-phase.
 *
 * @example
 * await state.update('blog', (s) => endGateWindow(s, carol, 'rollback', new Date()));
 */
export function endGateWindow(s: AppState, by: Actor, how: GateEnd, now: Date): AppState {
  const r = s.inFlight;
  const verb = how === 'accept' ? 'accept' : 'roll back';
  if (!r || r.phase !== 'gating' || !r.gate) {
    throw new SwitchyardError('wrong-phase', `no gate window of ${s.app} open to ${verb}${r ? `: ${r.id} is ${r.phase}` : ''}`, {
      hint: r ? 'a window opens after the switch of a deploy whose app has a gate' : `see: switchyard status ${s.app}`,
    });
  }
  if (r.gate.ended?.how === how) return s;
  if (r.gate.ended || r.gate.rollback) {
    throw new SwitchyardError('wrong-phase', `the gate window of ${r.id} is already ending (${r.gate.rollback ? 'rolling back' : r.gate.ended!.how})`, { hint: 'wait for it to finish' });
  }
  const at = now.toISOString();
  const transitions = [...r.transitions, { phase: r.phase, at, by, note: `gate window: ${verb} requested` }];
  return { ...s, inFlight: { ...r, gate: { ...r.gate, ended: { by, how, at } }, transitions } };
}

import { SwitchyardError } from '../errors/switchyard-error.js';
import type { DeployRecord } from '../state/app-state.js';
import type { IntentVerb } from './deploy-event.js';
import { isPreSwitch, isUnwinding } from './deploy-phases.js';

/** Why `verb` does not apply to the deploy now, or undefined when it does. */
export function intentRefusal(r: DeployRecord, verb: IntentVerb): SwitchyardError | undefined {
  const refuse = (why: string, hint: string) => new SwitchyardError('wrong-phase', `cannot ${verb} ${r.id} of ${r.app}: ${why}`, { hint });
  if (!isPreSwitch(r.phase) || isUnwinding(r)) {
    return new SwitchyardError('wrong-phase', `too late to ${verb} ${r.id} of ${r.app}: it is ${isUnwinding(r) ? 'unwinding' : r.phase}`, {
      hint: verb === 'abort' && !isUnwinding(r) ? 'roll back once it is done' : 'wait for it to finish',
    });
  }
  if (verb === 'start' && !(r.hold && r.phase === 'pending')) return refuse(`it is not waiting for a start (it is ${r.phase})`, 'nothing to do');
  if (verb === 'promote' && r.kind === 'rollback') return refuse('it is a rollback: it does not wait for a promote', 'wait for it to finish');
  if (verb === 'promote' && r.hold && !r.startedBy) return refuse('it waits for a Start first', 'start it, then promote it once it is verified');
  return undefined;
}

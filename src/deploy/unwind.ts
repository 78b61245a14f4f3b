import type { DeployRecord } from '../state/app-state.js';
import { otherColour, type Colour } from '../validate/patterns.js';
import type { Decision } from './decision.js';
import { isReady, isTrafficUntouched } from './deploy-phases.js';
import type { Observation } from './observation.js';

/**
 * The next step of taking a failed or aborted deploy back to a consistent
 * state: every node on one colour that has all its pods Ready (where one
 * has), the other colour removed if traffic is not on it, then 'failed' or
 * 'aborted'. `r` already carries the error or the abort.
 *
 * Before the switch (or when the switch failed in prepare) traffic was never
 * touched, so only the new colour goes.
 * After it, traffic goes back to the old colour if that still runs with all
 * pods Ready; otherwise it stays where it is, since moving it would break
 * invariant 1.
 */
export function unwind(r: DeployRecord, obs: Observation): Decision {
  const oldColour = r.fromColour ?? otherColour(r.toColour);
  const by = r.error ? undefined : r.abortedBy;
  const untouched = isTrafficUntouched(r);
  let target: Colour = oldColour;
  if (!untouched) {
    // The fleet is read on the next pass (needsFleet); nothing is safe to do without it.
    if (!obs.fleet) return { phase: r.phase, actions: [] };
    target = trafficTarget(r, obs, oldColour);
    if (obs.fleet.agreed !== target) {
      return {
        phase: r.phase,
        actions: [{ kind: 'switch', colour: target, reason: 'revert' }],
        note: `putting every node on ${target}`,
      };
    }
  }
  // Until creating starts, a colour found in the new colour's place was not made by this deploy (retention);
  // a rollback that switched straight back to the retained colour never creates one at all.
  const createdNothing =
    r.phase === 'pending' || r.phase === 'discovering' || (r.kind === 'rollback' && !r.transitions.some((t) => t.phase === 'creating'));
  if (target !== r.toColour && obs.colours[r.toColour] && !createdNothing) {
    // Files staged while it waited for a promote go with the colour they were for.
    const unstage = untouched && r.transitions.some((t) => t.phase === 'verifying') ? [{ kind: 'unstage' } as const] : [];
    return { phase: r.phase, actions: [...unstage, { kind: 'delete-colour', colour: r.toColour }], note: `removing ${r.toColour}` };
  }
  const final: Decision = { phase: r.abortedBy ? 'aborted' : 'failed', actions: [], ...(by ? { by } : {}) };
  const old = r.fromColour && r.fromVersion ? { colour: r.fromColour, version: r.fromVersion } : null;
  // Recorded even when traffic never moved: a first deploy adopted the colour
  // the nodes serve, and the state must say so once this deploy is gone.
  if (untouched) return old ? { ...final, live: old } : final;
  return { ...final, live: target === r.toColour ? { colour: r.toColour, version: r.version } : old };
}

function trafficTarget(r: DeployRecord, obs: Observation, oldColour: Colour): Colour {
  const agreed = obs.fleet?.agreed ?? null;
  if (agreed === oldColour) return oldColour;
  if (r.fromColour && isReady(obs.colours[r.fromColour])) return oldColour;
  if (agreed === r.toColour) return r.toColour;
  // Nodes disagree and the old colour cannot serve: end on whichever colour can.
  return isReady(obs.colours[r.toColour]) ? r.toColour : oldColour;
}

import { SwitchyardError } from '../errors/switchyard-error.js';
import type { DeployRecord } from '../state/app-state.js';
import type { LockHolder, LockSeen } from './ports.js';

const who = (h: LockHolder): string => (h.by ? `${h.by.name ?? h.by.id} (${h.by.via})` : 'someone');

/**
 * The answer to a second request for an app: who holds it and in which phase
 * (docs/architecture.md, invariant 5).
 *
 * @example
 * throw lockHeldError('blog', got.holder, state.inFlight);
 * // "blog is held by agent-2 for deploy blog-7f3a (20151025.143403, asked by alice (slack)), now verifying"
 */
export function lockHeldError(app: string, holder: LockHolder | null, inFlight: DeployRecord | null, seen?: LockSeen): SwitchyardError {
  const deploy = inFlight
    ? `${inFlight.kind} ${inFlight.id} (${inFlight.version}, asked by ${inFlight.requestedBy.name ?? inFlight.requestedBy.id} (${inFlight.requestedBy.via})), now ${inFlight.phase}`
    : `deploy ${holder?.deployId ?? 'unknown'} (asked by ${holder ? who(holder) : 'someone'})`;
  const message = holder
    ? `${app} is held by ${holder.agent} for ${deploy}`
    : `${app} has ${deploy} in flight with no agent running it`;
  return new SwitchyardError('lock-held', seen?.looksDead ? `${message}; ${looksDead(seen)}` : message, {
    hint: !holder
      ? 'an agent that starts resumes it; or abort it'
      : seen?.looksDead
        ? `a running \`switchyard serve\` takes it over by then and ends it (start one if none runs); \`switchyard abort ${app}\` now has it unwound then`
        : `wait for it to finish, or promote/abort it${seen ? ` (if its agent is gone, its lease expires at ${seen.expiresAt})` : ''}`,
    details: { app, holder, deployId: inFlight?.id, phase: inFlight?.phase, ...(seen ? { seen } : {}) },
  });
}

const looksDead = (seen: LockSeen): string =>
  `that agent looks dead: its lease was last renewed at ${seen.renewedAt ?? 'an unknown time'} (by its clock) and expires at ${seen.expiresAt}`;

/**
 * "held by agent-2", and when its agent looks dead, since when and until when
 * its lease holds, so people know to wait and until when.
 *
 * @example
 * describeHolder({ agent: 'switchyard-1', deployId: 'blog-7f3a' }, got.seen);
 * // "held by switchyard-1; that agent looks dead: its lease was last renewed at … and expires at …"
 */
export function describeHolder(holder: LockHolder, seen?: LockSeen): string {
  return seen?.looksDead ? `held by ${holder.agent}; ${looksDead(seen)}` : `held by ${holder.agent}`;
}

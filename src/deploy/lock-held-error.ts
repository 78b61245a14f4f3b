import { SwitchyardError } from '../errors/switchyard-error.js';
import type { DeployRecord } from '../state/app-state.js';
import type { LockHolder } from './ports.js';

const who = (h: LockHolder): string => (h.by ? `${h.by.name ?? h.by.id} (${h.by.via})` : 'someone');

/**
 * The answer to a second request for an app: who holds it and in which phase
 * (docs/architecture.md, invariant 5).
 *
 * @example
 * throw lockHeldError('blog', got.holder, state.inFlight);
 * // "blog is held by agent-2 for deploy blog-7f3a (20151025.143403, asked by alice (slack)), now verifying"
 */
export function lockHeldError(app: string, holder: LockHolder | null, inFlight: DeployRecord | null): SwitchyardError {
  const deploy = inFlight
    ? `${inFlight.kind} ${inFlight.id} (${inFlight.version}, asked by ${inFlight.requestedBy.name ?? inFlight.requestedBy.id} (${inFlight.requestedBy.via})), now ${inFlight.phase}`
    : `deploy ${holder?.deployId ?? 'unknown'} (asked by ${holder ? who(holder) : 'someone'})`;
  const message = holder
    ? `${app} is held by ${holder.agent} for ${deploy}`
    : `${app} has ${deploy} in flight with no agent running it`;
  return new SwitchyardError('lock-held', message, {
    hint: holder
      ? 'wait for it to finish, or promote/abort it'
      : 'an agent that starts resumes it; or abort it',
    details: { app, holder, deployId: inFlight?.id, phase: inFlight?.phase },
  });
}

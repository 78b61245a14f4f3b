import { SwitchyardError } from '../errors/switchyard-error.js';

/** Printable, one line, long enough to say something: it is kept in history and shown in Slack. */
const REASON = /^[^\p{C}]{3,200}$/u;

/**
 * Checks the reason given to deploy through a freeze, at the edge, so what
 * history keeps is a sentence someone can read later.
 *
 * @example
 * checkOverrideReason('hotfix for INC-2041, approved by the incident lead');
 */
export function checkOverrideReason(reason: string): void {
  if (!REASON.test(reason.trim())) {
    throw new SwitchyardError('input-invalid', 'a freeze override needs a reason of 3 to 200 printable characters on one line', {
      hint: 'say why this cannot wait, e.g. --override-freeze "hotfix for INC-2041"',
    });
  }
}

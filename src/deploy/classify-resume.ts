import type { DeployRecord } from '../state/app-state.js';
import type { Decision } from './decision.js';
import type { ResumeHow } from './deploy-event.js';
import { isUnwinding } from './deploy-phases.js';

/**
 * How a resumed deploy goes on, read from the first decision about it.
 *
 * @example
 * classifyResume(record, decide(record, observed, now, app)); // 'reverted'
 */
export function classifyResume(record: DeployRecord, first: Decision): ResumeHow {
  if (isUnwinding(record) || first.patch?.error || first.patch?.abortedBy) return 'unwound';
  if (first.actions.some((a) => a.kind === 'switch' && a.reason === 'revert')) return 'reverted';
  return 'continued';
}

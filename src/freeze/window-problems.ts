import { parseWindowTime, WINDOW_TIME_FORMS } from './window-time.js';

/** A problem with one freeze window as written, and the key it is about. */
export interface WindowProblem {
  key: 'from' | 'to';
  message: string;
}

/**
 * What is wrong with a window's `from` and `to`, for the config loader, so
 * a typo is refused at load (naming the key) rather than at the first deploy.
 *
 * @example
 * windowProblems({ from: 'Fri 15:00', to: '2026-12-23' }); // [{ key: 'to', message: 'the same form as "from" ...' }]
 */
export function windowProblems(w: { from: string; to: string }): WindowProblem[] {
  const from = parseWindowTime(w.from);
  const to = parseWindowTime(w.to);
  const problems: WindowProblem[] = [];
  if (!from) problems.push({ key: 'from', message: `${JSON.stringify(w.from)} is not a time: use ${WINDOW_TIME_FORMS}` });
  if (!to) problems.push({ key: 'to', message: `${JSON.stringify(w.to)} is not a time: use ${WINDOW_TIME_FORMS}` });
  if (!from || !to) return problems;
  if (from.kind !== to.kind) {
    problems.push({ key: 'to', message: `${JSON.stringify(w.to)} is ${to.kind} but "from" is ${from.kind}: write both ends the same way` });
  } else if (from.kind === 'once' && to.at <= from.at) {
    problems.push({ key: 'to', message: `${JSON.stringify(w.to)} is not after "from" (${JSON.stringify(w.from)})` });
  } else if (to.at === from.at) {
    problems.push({ key: 'to', message: `the same time as "from": a window that ends where it starts is either empty or always on` });
  }
  return problems;
}

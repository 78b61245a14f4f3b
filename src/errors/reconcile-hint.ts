/**
 * What to do when nodes disagree with each other or with the record: the one
 * command that brings them together. Every refusal over drift (a deploy's
 * discovery, the switch's own check, `switchyard check`, the drift check of
 * `serve`) names it, so the hint never points at a command that refuses too.
 *
 * @example
 * reconcileHint('blog'); // "run `switchyard reconcile blog`: it shows ..."
 */
export const reconcileHint = (app: string): string =>
  `run \`switchyard reconcile ${app}\`: it shows what it would change, asks, then brings every node and the record to one colour`;

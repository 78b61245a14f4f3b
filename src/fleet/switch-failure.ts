import type { FleetNode } from '../discovery/fleet-node.js';
import { SwitchyardError } from '../errors/switchyard-error.js';

// How a fleet switch words what went wrong on a node: from the `@` reports
// of the remote scripts to one line a person can act on.

export interface NodeFailure {
  node: FleetNode;
  error: string;
  /**
   * The node's own script did not report (the connection dropped or timed
   * out) or reported nothing that can be read: it may have reloaded.
   */
  unheard: boolean;
  /** What to do about it, where the node's error says (a broken upstream file names its fix). */
  hint?: string;
  /** The node could not put its backup back: its file and nginx may disagree until someone settles it. */
  notPutBack: boolean;
  /** The node refused the commit: a newer holder of the app's lock already committed there. */
  fencedOut?: true;
}

/** A node told to disarm put its backup back (and reloaded nginx with it); that is not a failure of its own. */
export const DISARMED = 'disarmed: backup put back';

/** A commit handed a staged prepare found the node's files changed since staging, and changed nothing. */
export const STAGE_CHANGED_EXIT = 33;

/** The exit of a script that could not put a node's backup back (see settle in remote-scripts). */
export const NOT_PUT_BACK_EXIT = 29;

/** The exit of a commit refused because a newer holder of the app's lock already committed on the node. */
export const FENCED_OUT_EXIT = 32;

/** Every exit the scripts that touch the upstream file give on purpose (see remote-scripts); any other leaves the node's state unknown. */
export const SCRIPT_EXITS: ReadonlySet<number> = new Set([0, 20, 21, 22, 23, 24, 25, 26, 27, 28, NOT_PUT_BACK_EXIT, 31, FENCED_OUT_EXIT, STAGE_CHANGED_EXIT]);

/** The reason a script that touches the upstream file gave for its exit, in words. */
export function describeReloadFailure(code: number, stdout: string, seen: Map<string, string>, stderr: string): string {
  for (const key of ['restore-failed', 'put-back-failed']) {
    if (seen.has(key)) return `could not put the backup back (${seen.get(key)!.replace(/\s+/g, ' ').trim()}); the node's file cannot be trusted until that is done`;
  }
  if (seen.has('nginx-test-failed')) {
    const detail = stdout.split('\n').find((l) => /emerg|error|failed/i.test(l) && !l.startsWith('@')) ?? 'see nginx -t';
    return `nginx -t failed, backup restored (${detail.replace(/^nginx: /, '').trim()})`;
  }
  if (seen.has('disarmed')) return DISARMED;
  if (seen.has('fenced-out')) return `refused the commit, nothing changed: ${seen.get('fenced-out')}`;
  for (const key of ['reload-not-applied', 'changed-since-prepare', 'nginx-not-running', 'barrier-timeout', 'busy', 'node-busy', 'lock-failed', 'missing-tool', 'rename-failed', 'journal-failed', 'fence-unreadable', 'fence-failed']) {
    if (seen.has(key)) return `${key.replace(/-/g, ' ')}: ${seen.get(key)}`;
  }
  if (seen.has('reload-failed')) {
    const output = stdout.split(/^@reload-failed$/m)[1] ?? '';
    return `reload command failed, backup restored (${output.split('\n').filter((l) => !l.startsWith('@')).join(' ').trim()})`;
  }
  return `exit ${code}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`;
}

/** The nodes whose work was rejected, each with its reason. */
export function failures<T>(settled: PromiseSettledResult<T>[], nodes: readonly FleetNode[]): NodeFailure[] {
  return settled.flatMap((s, i) =>
    s.status === 'rejected'
      ? [{
          node: nodes[i]!,
          error: message(s.reason),
          unheard: s.reason instanceof SwitchyardError && (s.reason.code.startsWith('ssh-') || s.reason.details.unknown === true),
          notPutBack: s.reason instanceof SwitchyardError && s.reason.details.notPutBack === true,
          ...(s.reason instanceof SwitchyardError && s.reason.code === 'lock-held' ? { fencedOut: true as const } : {}),
          ...(s.reason instanceof SwitchyardError && s.reason.hint ? { hint: s.reason.hint } : {}),
        }]
      : [],
  );
}

/** A prepare that stopped before anything changed, naming each node that stopped it and, where the nodes' errors say, how to fix it. */
export function prepareError(app: { name: string }, failed: NodeFailure[], outcome: string): SwitchyardError {
  const hints = [...new Set(failed.flatMap((f) => f.hint ?? []))];
  return new SwitchyardError('switch-prepare-failed', `cannot prepare ${app.name} on ${failed.map((f) => `${f.node.name}: ${f.error}`).join('; ')}; ${outcome}`, {
    hint: hints.length > 0 ? hints.join('; ') : 'fix or remove the named node(s) and try again',
    details: { failed: failed.map((f) => ({ node: f.node.name, error: f.error })) },
  });
}

/** SSH errors already name the node; strip that so messages do not repeat it. */
export function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^\S+ \(\S+:\d+\): /, '');
}

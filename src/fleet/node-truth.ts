import type { Colour } from '../validate/patterns.js';

/**
 * What one node really does for one app (docs/architecture.md, invariant
 * 11: the live colour is what nginx runs, not what the file says).
 * `switchyard nodes` shows it, and a check of the fleet can fail on any node
 * that does not agree.
 *
 * @example
 * const [truth] = await switcher.truth([node], app);
 * if (!truth.agrees) console.log(truthProblems(truth).join('; '));
 */
export interface NodeTruth {
  node: string;
  /**
   * The colour the upstream file marks live, read once an interrupted switch
   * left on the node was settled; null when the file cannot be read or the
   * node cannot be settled (then `error` says why).
   */
  file: Colour | null;
  /** This read found a switch interrupted between "armed" and "confirmed", and settled it. */
  settled: boolean;
  /** nginx's configuration (`nginx -T`) includes the file and defines the app's upstream only there. */
  loads: { ok: boolean; detail?: string };
  /**
   * The colour whose NodePort answered a request through the node's nginx
   * (null: neither, or the request failed; `detail` says which). Absent when
   * the app has no `probe` in config.
   */
  serves?: { colour: Colour | null; detail: string };
  error?: string;
  /** The file, nginx's configuration and the traffic say the same colour. */
  agrees: boolean;
}

/** What is wrong on the node, one phrase each; empty when it agrees. */
export function truthProblems(t: NodeTruth): string[] {
  const problems: string[] = [];
  if (t.error) problems.push(t.error);
  if (!t.loads.ok) problems.push(t.loads.detail ?? 'nginx does not load the upstream file');
  if (t.serves && t.serves.colour !== t.file) {
    problems.push(t.serves.colour ? `the file says ${t.file ?? '?'} but nginx serves ${t.serves.colour} (${t.serves.detail})` : `probe: ${t.serves.detail}`);
  }
  return problems;
}

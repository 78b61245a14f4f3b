import type { GateConfig } from './gate-schema.js';
import { formatMs, formatRatio, type GateFigures } from './gate-figures.js';

/** What a check read: the figures, or why the source could not be read. */
export type GateReading = { kind: 'figures'; figures: GateFigures } | { kind: 'unreadable'; at: string; message: string };

/**
 * The gate's verdict on one reading. `fail` carries its evidence: the
 * thresholds crossed, in words, and the nodes whose own figures cross them.
 */
export type GateVerdict =
  | { kind: 'pass'; figures: GateFigures }
  | { kind: 'not-enough-data'; figures: GateFigures }
  | { kind: 'fail'; figures: GateFigures; crossed: string[]; nodes: string[] }
  | { kind: 'source-unreadable'; message: string };

type Thresholds = Pick<GateConfig, 'minRequests' | 'maxErrorRatio' | 'maxP95Seconds'>;

/** The thresholds `f` crosses, in words; empty when none. */
function crossedBy(f: { requests: number; errors: number; p95Ms?: number }, gate: Thresholds): string[] {
  const out: string[] = [];
  const ratio = f.requests === 0 ? 0 : f.errors / f.requests;
  if (ratio > gate.maxErrorRatio) out.push(`5xx ${formatRatio(ratio)} > ${formatRatio(gate.maxErrorRatio)}`);
  const maxMs = gate.maxP95Seconds === undefined ? undefined : gate.maxP95Seconds * 1000;
  if (maxMs !== undefined && f.p95Ms !== undefined && f.p95Ms > maxMs) out.push(`p95 ${formatMs(f.p95Ms)} > ${formatMs(maxMs)}`);
  return out;
}

/**
 * Judges one reading against the app's thresholds, pure. Fewer requests than
 * `minRequests` are not judged either way; a source that cannot be read is
 * its own verdict, for the app's `onUnreadable` to decide, never a pass.
 *
 * @example
 * evaluateGate({ kind: 'figures', figures }, { minRequests: 20, maxErrorRatio: 0.05 });
 * // { kind: 'fail', crossed: ['5xx 12.0% > 5.0%'], nodes: ['node-2'], figures }
 */
export function evaluateGate(reading: GateReading, gate: Thresholds): GateVerdict {
  if (reading.kind === 'unreadable') return { kind: 'source-unreadable', message: reading.message };
  const figures = reading.figures;
  if (figures.requests < gate.minRequests) return { kind: 'not-enough-data', figures };
  const crossed = crossedBy(figures, gate);
  if (crossed.length === 0) return { kind: 'pass', figures };
  const nodes = (figures.nodes ?? []).filter((n) => n.requests > 0 && crossedBy(n, gate).length > 0).map((n) => n.node);
  return { kind: 'fail', figures, crossed, nodes };
}

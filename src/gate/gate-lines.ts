import type { DeployRecord } from '../state/app-state.js';
import { describeFigures, formatMs } from './gate-figures.js';

/**
 * The gate of a deploy in a few lines, for Slack and the CLI: the window and
 * the latest figures while it runs (per node where the source has nodes),
 * whether it holds for a person, and the evidence once it rolled back.
 *
 * @example
 * gateLines(record) // ['Gate until 10:01:00 UTC: 412 requests, 5xx 0.2% (1), p95 38 ms', '  node-1: 140 requests, 0 5xx, p95 35 ms', ...]
 */
export function gateLines(r: DeployRecord): string[] {
  const g = r.gate;
  if (!g) return [];
  const perNode = (f: NonNullable<typeof g.figures>): string[] =>
    (f.nodes ?? []).map((n) => `  ${n.node}: ${n.requests} requests, ${n.errors} 5xx${n.p95Ms === undefined ? '' : `, p95 ${formatMs(n.p95Ms)}`}`);
  if (g.rollback) {
    const where = g.rollback.nodes.length > 0 ? ` on ${g.rollback.nodes.join(', ')}` : '';
    return [`Gate rolled back: ${g.rollback.reason}${where}`, ...(g.rollback.figures ? perNode(g.rollback.figures) : [])];
  }
  const head = `Gate until ${g.until.slice(11, 19)} UTC (${g.figures?.source ?? 'no check yet'})`;
  const lines = [g.figures ? `${head}: ${describeFigures(g.figures)}` : head, ...(g.figures ? perNode(g.figures) : [])];
  if (g.held) lines.push(`Holding: ${g.held.message}. Someone with the rollback role decides: roll back or accept.`);
  return lines;
}

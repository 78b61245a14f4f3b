import { reconcileHint } from '../errors/reconcile-hint.js';
import type { Colour } from '../validate/patterns.js';
import type { FleetReport } from './fleet-report.js';
import type { FleetView } from './ports.js';

/**
 * The one way a fleet report is made (`switchyard check`, `reconcile`, the
 * drift check of `serve`): what each node serves for the app, against the
 * recorded live colour, and one drift line when they do not all agree. A
 * node whose colour cannot be told is drift too: agreement is not proven.
 *
 * @example
 * buildFleetReport('blog', view, 'blue', now).drift;
 * // "blog: nodes disagree: blue on node-1, node-2; green on node-3 (the record says blue); run `switchyard reconcile blog`: ..."
 */
export function buildFleetReport(app: string, view: FleetView, recorded: Colour | null, now: Date): FleetReport {
  const nodes = view.nodes.map((n) => ({ node: n.node, colour: n.colour, ...(n.error ? { error: n.error } : {}) }));
  return { app, checkedAt: now.toISOString(), nodes, recorded, drift: driftLine(app, nodes, recorded) };
}

function driftLine(app: string, nodes: FleetReport['nodes'], recorded: Colour | null): string | null {
  if (nodes.length === 0) return `${app}: no nodes discovered; check discovery (\`switchyard nodes\`)`;
  const byColour = new Map<Colour, string[]>();
  for (const n of nodes) if (n.colour) byColour.set(n.colour, [...(byColour.get(n.colour) ?? []), n.node]);
  const unread = nodes.filter((n) => n.colour === null);
  const parts: string[] = [];
  const [only] = [...byColour.keys()];
  if (byColour.size > 1) {
    const list = [...byColour].sort(([a], [b]) => a.localeCompare(b)).map(([colour, names]) => `${colour} on ${names.join(', ')}`).join('; ');
    parts.push(`nodes disagree: ${list}${recorded ? ` (the record says ${recorded})` : ''}`);
  } else if (only && recorded && only !== recorded) {
    const names = byColour.get(only)!;
    const who = unread.length === 0 ? 'every node serves' : `${names.join(', ')} serve${names.length === 1 ? 's' : ''}`;
    parts.push(`${who} ${only} but the record says ${recorded}`);
  }
  if (unread.length > 0) parts.push(`cannot tell what ${unread.map((n) => `${n.node} (${n.error ?? 'unknown'})`).join(', ')} serve${unread.length === 1 ? 's' : ''}`);
  if (parts.length === 0) return null;
  // Only nodes that answer can be brought together; an unreadable one is looked at first.
  const fix = unread.length > 0 ? 'see `switchyard nodes`, then check again' : reconcileHint(app);
  return `${app}: ${parts.join('; ')}; ${fix}`;
}

import type { AppConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import type { Actor, DeployRecord } from '../state/app-state.js';
import { colourPort, type Colour } from '../validate/patterns.js';

/**
 * Words every front end uses the same way (the CLI, Slack, the API's
 * summaries), so a deploy reads alike wherever people see it.
 */

/** "420 ms", "4.2 s", "3m 07s", "2h 05m": short, and still sortable by eye in a CI log. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "alice (slack)": the name people know, and where the action came from. */
export const formatActor = (a: Actor | undefined): string => (a ? `${a.name ?? a.id} (${a.via})` : 'someone');

/** A finished record in a few words: "done: green 2015… is live", "failed in waiting: …". */
export function describeOutcome(r: DeployRecord): string {
  switch (r.phase) {
    case 'done':
      return `done: ${r.toColour} ${r.version} is live`;
    case 'rolled-back':
      return `rolled back: ${r.toColour} ${r.version} is live`;
    case 'auto-rolled-back': {
      const back = r.fromColour ? `${r.fromColour} ${r.fromVersion ?? ''}`.trim() : 'the old colour';
      return `auto-rolled-back: ${r.gate?.rollback?.reason ?? 'the gate rolled it back'}${r.gate?.rollback?.nodes.length ? ` (on ${r.gate.rollback.nodes.join(', ')})` : ''}; ${back} is live again`;
    }
    case 'aborted':
      return `aborted by ${formatActor(r.abortedBy)}${r.error ? ` (${r.error.message})` : ''}; traffic untouched`;
    case 'failed':
      return `failed${r.error ? ` in ${r.error.phase}: ${r.error.message}` : ''}`;
    default:
      return r.phase;
  }
}

/**
 * Where to look at a colour before it takes traffic: the app's previewUrl
 * template with {{node}} (each node's address) and {{port}} (the colour's
 * NodePort), or each node's NodePort when the app has none. Once each: a
 * template without {{node}} (one load balancer) gives one URL.
 *
 * @example
 * previewUrls(blog, 'green', nodes); // ['http://10.0.1.11:30001/', 'http://10.0.1.12:30001/']
 */
export function previewUrls(app: AppConfig, colour: Colour, nodes: readonly FleetNode[]): string[] {
  const port = String(colourPort(app.portBase, colour));
  const template = app.previewUrl ?? 'http://{{node}}:{{port}}/';
  return [...new Set(nodes.map((n) => template.replaceAll('{{node}}', n.address).replaceAll('{{port}}', port)))];
}

import type { AppConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import type { ActiveFreeze } from '../freeze/active-freeze.js';
import { wallClock } from '../freeze/zoned-time.js';
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

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** "Mon 2026-11-30 09:00": a wall time read by its UTC fields (see zoned-time.ts). */
function wallText(wall: number): string {
  const d = new Date(wall);
  const iso = d.toISOString();
  return `${WEEKDAYS[d.getUTCDay()]} ${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/**
 * An instant on the app's clock and on UTC, so on-call and a CI log in
 * another zone read the same moment: "Mon 2026-11-30 09:00 Europe/Berlin
 * (08:00 UTC)", with the UTC date too when it is another day.
 *
 * @example
 * formatZoned(new Date('2026-12-03T23:00:00Z'), 'Europe/Berlin'); // 'Fri 2026-12-04 00:00 Europe/Berlin (Thu 2026-12-03 23:00 UTC)'
 */
export function formatZoned(at: Date, timeZone: string): string {
  const local = wallText(wallClock(at.getTime(), timeZone));
  if (timeZone === 'UTC') return `${local} UTC`;
  const utc = wallText(at.getTime());
  return `${local} ${timeZone} (${utc.slice(4, 14) === local.slice(4, 14) ? utc.slice(15) : utc} UTC)`;
}

/** 'freeze "weekend" overridden by carol (slack): hotfix for INC-2041', for history and Slack. */
export const describeFreezeOverride = (o: NonNullable<DeployRecord['freezeOverride']>): string =>
  `freeze ${o.windows.map((w) => `"${w}"`).join(', ')} overridden by ${formatActor(o.by)}: ${o.reason}`;

/**
 * A freeze in words: its windows as written, and when deploys open again.
 *
 * @example
 * describeFreeze('blog', freeze);
 * // 'deploys of blog are frozen by "weekend" (Fri 15:00 to Mon 09:00 Europe/Berlin) until Mon 2026-11-30 09:00 Europe/Berlin (08:00 UTC)'
 */
export function describeFreeze(app: string, f: ActiveFreeze): string {
  const windows = f.windows.map((w) => `"${w.name}" (${w.from} to ${w.to} ${w.timeZone})`).join(', then ');
  return `deploys of ${app} are frozen by ${windows} until ${formatZoned(f.until, f.timeZone)}`;
}

/**
 * The refusal of a deploy during a freeze: which window, when it ends, and
 * the ways on (rollbacks are never frozen), unless `hint` says otherwise.
 *
 * @example
 * throw frozenError('blog', freeze);
 */
export function frozenError(app: string, f: ActiveFreeze, hint?: string): SwitchyardError {
  return new SwitchyardError('deploy-frozen', describeFreeze(app, f), {
    hint: hint ?? 'rollbacks still run; to deploy anyway, someone with the overrideFreeze role gives a reason: --override-freeze "<why>" (CLI, Slack) or "overrideFreeze": "<why>" (API)',
    details: { until: f.until.toISOString(), windows: f.windows.map((w) => w.name) },
  });
}

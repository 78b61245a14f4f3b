import type { FleetReport } from '../deploy/fleet-report.js';
import { html, type SafeHtml } from './html.js';
import { ageOf, colourBadge } from './page-parts.js';

/**
 * What the last fleet check found, in one line: the drift as a warning, or
 * which colour every node serves; without a check, `note` (who checks, when
 * this agent does not) or "not checked yet".
 */
export function fleetSummary(report: FleetReport | null, now: Date, note: string | null = null): SafeHtml {
  if (!report) return html`<span class="muted">${note ?? 'not checked yet'}</span>`;
  const checked = html`<span class="muted">(checked ${ageOf(report.checkedAt, now)})</span>`;
  if (report.drift) return html`<strong class="drift">⚠ drift: ${report.drift}</strong> ${checked}`;
  const colours = [...new Set(report.nodes.map((n) => n.colour))];
  const all = colours.length === 1 && colours[0] ? html`all ${report.nodes.length} serve ${colourBadge(colours[0])}` : html`${report.nodes.length} nodes`;
  return html`${all} ${checked}`;
}

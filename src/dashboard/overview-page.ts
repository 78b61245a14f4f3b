import { formatActor } from '../deploy/wording.js';
import { isFinal } from '../deploy/deploy-phases.js';
import type { DeployRecord } from '../state/app-state.js';
import type { AppView } from './dashboard-data.js';
import { html, type SafeHtml } from './html.js';
import { ageOf, colourBadge, countBar, phaseBadge, timeOf } from './page-parts.js';
import type { Page } from './page-layout.js';
import { fleetSummary } from './fleet-summary.js';

/** How many finished deploys "Recent deploys" lists, across every app. */
const RECENT = 10;

/**
 * The overview (`/`): every app with its live colour and version, the
 * previous colour and whether it is still kept, the deploy in flight and its
 * phase, what the last fleet check found (drift first, as a warning), and
 * the latest deploys of every app.
 *
 * @example
 * const page = renderOverview(await loadApps(data), new Date());
 */
export function renderOverview(apps: readonly AppView[], now: Date): Page {
  const drifting = apps.filter((a) => a.fleet?.drift);
  const recent = apps
    .flatMap((a) => a.state?.history ?? [])
    .sort((x, y) => (y.finishedAt ?? y.requestedAt).localeCompare(x.finishedAt ?? x.requestedAt))
    .slice(0, RECENT);
  const main = html`
<h1>Apps</h1>
${drifting.length > 0 && html`<section class="warning" aria-labelledby="drift-heading">
<h2 id="drift-heading">Drift</h2>
<ul>${drifting.map((a) => html`<li><a href="/apps/${a.app.name}">${a.app.name}</a>: ${a.fleet!.drift}</li>`)}</ul>
</section>`}
<table class="apps">
<caption>Every app: what is live, what is kept for a rollback, what is in flight, and what the nodes serve</caption>
<thead><tr><th scope="col">App</th><th scope="col">Live</th><th scope="col">Previous</th><th scope="col">In flight</th><th scope="col">Nodes</th></tr></thead>
<tbody>${apps.map((a) => appRow(a, now))}</tbody>
</table>
<h2>Recent deploys</h2>
${recent.length === 0 ? html`<p>No deploy has finished yet.</p>` : html`<ol class="recent">${recent.map((r) => recentItem(r, now))}</ol>`}`;
  return { title: drifting.length > 0 ? `Drift in ${drifting.length} app${drifting.length > 1 ? 's' : ''} · switchyard` : 'switchyard', main };
}

function appRow(a: AppView, now: Date): SafeHtml {
  const name = html`<th scope="row"><a href="/apps/${a.app.name}">${a.app.name}</a></th>`;
  if (!a.state) return html`<tr>${name}<td colspan="4" class="problem">cannot read its state: ${a.problem}</td></tr>`;
  const { live, previous } = a.state;
  const kept = previous && (a.retainedUntil ? html`kept until ${timeOf(a.retainedUntil.toISOString(), now)}` : html`retired`);
  const flight = a.inFlight;
  const pods = flight?.progress.pods;
  return html`<tr>${name}
<td>${live ? html`${colourBadge(live.colour)} ${live.version}` : 'none recorded yet'}</td>
<td>${previous ? html`${colourBadge(previous.colour)} ${previous.version}, ${kept}` : 'none'}</td>
<td>${
    flight && !isFinal(flight.record.phase)
      ? html`<a href="/deploys/${flight.record.id}">${flight.record.kind} of ${flight.record.version}</a> ${phaseBadge(flight.record.phase)}${
          pods ? html`<br>${countBar(pods.ready, pods.desired, `${pods.colour} pods ready`)}` : ''
        }`
      : 'none'
  }</td>
<td>${fleetSummary(a.fleet, now, a.fleetNote)}</td>
</tr>`;
}

function recentItem(r: DeployRecord, now: Date): SafeHtml {
  const when = r.finishedAt ?? r.requestedAt;
  return html`<li><a href="/deploys/${r.id}">${r.id}</a>: ${r.app} ${r.kind} of ${r.version} ${phaseBadge(r.phase)}, asked by ${formatActor(r.requestedBy)}, ended ${timeOf(when, now)} (${ageOf(when, now)})</li>`;
}

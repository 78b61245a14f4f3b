import type { ColoursView } from '../deploy/ports.js';
import { formatActor, formatDuration } from '../deploy/wording.js';
import { isFinal } from '../deploy/deploy-phases.js';
import type { DeployRecord } from '../state/app-state.js';
import { COLOURS, colourPort, type Colour } from '../validate/patterns.js';
import type { AppView } from './dashboard-data.js';
import { fleetSummary } from './fleet-summary.js';
import { html, type SafeHtml } from './html.js';
import { ageOf, colourBadge, countBar, phaseBadge, timeOf } from './page-parts.js';
import type { Page } from './page-layout.js';

/** An app's page: its view and both colours' ReplicaSets (or why the cluster could not tell). */
export interface AppPageModel {
  view: AppView;
  colours: ColoursView | { problem: string };
}

/**
 * An app's page (`/apps/<app>`): which colour each node serves (from the last
 * fleet check, with its age), both ReplicaSets with their pods ready, the
 * deploy in flight, and the history with who did what.
 *
 * @example
 * const page = renderAppPage({ view: await loadApp(data, app), colours: await service.colours('blog') }, new Date());
 */
export function renderAppPage({ view, colours }: AppPageModel, now: Date): Page {
  const name = view.app.name;
  const state = view.state;
  const flight = view.inFlight && !isFinal(view.inFlight.record.phase) ? view.inFlight.record : null;
  const main = html`
<h1>${name}</h1>
${state ? html`<p>Live: ${state.live ? html`${colourBadge(state.live.colour)} ${state.live.version}` : 'none recorded yet'}.
Previous: ${state.previous ? html`${colourBadge(state.previous.colour)} ${state.previous.version}, ${view.retainedUntil ? html`kept until ${timeOf(view.retainedUntil.toISOString(), now)}` : 'retired'}` : 'none'}.
${flight ? html`In flight: <a href="/deploys/${flight.id}">${flight.kind} of ${flight.version}</a> ${phaseBadge(flight.phase)}.` : 'Nothing in flight.'}</p>` : html`<p class="problem">Cannot read its state: ${view.problem}</p>`}
<h2>Nodes</h2>
<p>${fleetSummary(view.fleet, now, view.fleetNote)}</p>
${nodeGrid(view, now)}
<h2>ReplicaSets</h2>
${replicaSets(view, colours)}
<h2>History</h2>
${state && state.history.length > 0 ? historyTable(state.history, now) : html`<p>No deploy has finished yet.</p>`}`;
  return { title: `${name}${view.fleet?.drift ? ' · drift' : ''} · switchyard`, main };
}

function nodeGrid(view: AppView, now: Date): SafeHtml {
  const report = view.fleet;
  if (!report) return html``;
  const head = COLOURS.map((c) => html`<th scope="col">${colourBadge(c)} <span class="muted">NodePort ${colourPort(view.app.portBase, c)}</span></th>`);
  const cell = (serves: Colour | null, c: Colour, error: string | undefined) =>
    serves === c ? html`<td class="serves serves-${c}">serves ${c}</td>` : html`<td class="idle">${error ? '?' : 'idle'}</td>`;
  return html`<table class="grid">
<caption>Which colour each node's nginx serves, checked ${timeOf(report.checkedAt, now)} (${ageOf(report.checkedAt, now)})${report.recorded ? html`; the record says ${colourBadge(report.recorded)}` : ''}</caption>
<thead><tr><th scope="col">Node</th>${head}<th scope="col">Problem</th></tr></thead>
<tbody>${report.nodes.map(
    (n) => html`<tr${report.recorded && n.colour !== report.recorded ? html` class="drifted"` : ''}><th scope="row">${n.node}</th>${COLOURS.map((c) => cell(n.colour, c, n.error))}<td>${
      n.error ?? (report.recorded && n.colour !== report.recorded ? `serves ${n.colour ?? 'nothing'}, the record says ${report.recorded}` : '')
    }</td></tr>`,
  )}</tbody>
</table>`;
}

function replicaSets(view: AppView, colours: AppPageModel['colours']): SafeHtml {
  if ('problem' in colours) return html`<p class="problem">Cannot read the ReplicaSets: ${colours.problem}</p>`;
  const role = (c: Colour): string => {
    const s = view.state;
    if (s?.inFlight && s.inFlight.toColour === c && !isFinal(s.inFlight.phase)) return `new, ${s.inFlight.kind} in flight`;
    if (s?.live?.colour === c) return 'live';
    if (s?.previous?.colour === c) return 'previous';
    return '';
  };
  return html`<table>
<caption>Both colours of ${view.app.name} in the cluster</caption>
<thead><tr><th scope="col">Colour</th><th scope="col">ReplicaSet</th><th scope="col">Version</th><th scope="col">Pods ready</th><th scope="col">Role</th></tr></thead>
<tbody>${COLOURS.map((c) => {
    const rs = colours[c];
    return html`<tr><th scope="row">${colourBadge(c)}</th><td>${view.app.name}-${c}</td>${
      rs ? html`<td>${rs.version}</td><td>${countBar(rs.readyReplicas, rs.replicas, 'ready')}</td>` : html`<td colspan="2">none</td>`
    }<td>${role(c)}</td></tr>`;
  })}</tbody>
</table>`;
}

function historyTable(history: readonly DeployRecord[], now: Date): SafeHtml {
  return html`<table class="history">
<caption>Finished deploys and rollbacks, newest first</caption>
<thead><tr><th scope="col">Deploy</th><th scope="col">What</th><th scope="col">Outcome</th><th scope="col">Who</th><th scope="col">Ended</th><th scope="col">Took</th></tr></thead>
<tbody>${history.map((r) => {
    const took = r.finishedAt ? formatDuration(new Date(r.finishedAt).getTime() - new Date(r.requestedAt).getTime()) : '';
    return html`<tr><th scope="row"><a href="/deploys/${r.id}">${r.id}</a></th>
<td>${r.kind} of ${r.version}: ${r.fromColour ? html`${colourBadge(r.fromColour)} ${r.fromVersion}` : 'nothing'} → ${colourBadge(r.toColour)}</td>
<td>${phaseBadge(r.phase)}${r.error ? html` ${r.error.message}` : ''}</td>
<td>${whoDidWhat(r)}</td>
<td>${r.finishedAt ? timeOf(r.finishedAt, now) : ''}</td>
<td>${took}</td></tr>`;
  })}</tbody>
</table>`;
}

/** "asked by ci (ci), started by alice (slack), promoted by bob (slack)": every action's author (invariant 7). */
export function whoDidWhat(r: DeployRecord): string {
  const acts: [string, DeployRecord['requestedBy'] | undefined][] = [
    ['asked by', r.requestedBy],
    ['started by', r.startedBy],
    ['promoted by', r.promotedBy],
    ['aborted by', r.abortedBy],
  ];
  return acts.flatMap(([verb, a]) => (a ? [`${verb} ${formatActor(a)}`] : [])).join(', ');
}

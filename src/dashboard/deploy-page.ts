import type { DeploySnapshot } from '../deploy/deploy-feed.js';
import { isFinal } from '../deploy/deploy-phases.js';
import type { ProductionPreview } from '../preview/production-preview.js';
import { describeOutcome, formatActor, formatDuration } from '../deploy/wording.js';
import type { Transition } from '../state/app-state.js';
import { whoDidWhat } from './app-page.js';
import { html, type SafeHtml } from './html.js';
import { colourBadge, countBar, phaseBadge, timeOf } from './page-parts.js';
import type { Page } from './page-layout.js';

/**
 * A deploy's page (`/deploys/<id>`): where it stands, its timeline (each
 * phase with how long it took, as a bar against the longest), pods ready and
 * nodes switched as they happen, the mixed window, the preview URLs while it
 * waits for a promote, and the error with its hint.
 *
 * @example
 * const page = renderDeployPage(snapshotOf(service, record, state), new Date());
 */
export function renderDeployPage(s: DeploySnapshot, now: Date): Page {
  const r = s.record;
  const { pods, nodes } = s.progress;
  const final = isFinal(r.phase);
  const main = html`
<h1>${r.kind === 'rollback' ? 'Rollback' : 'Deploy'} of <a href="/apps/${r.app}">${r.app}</a> ${r.version}</h1>
<p class="lead">${final ? phaseBadge(r.phase, describeOutcome(r)) : html`${phaseBadge(r.phase)}${r.hold && r.phase === 'pending' && !r.startedBy ? ': waiting for someone to Start it' : ''}`}</p>
<dl class="facts">
<dt>Id</dt><dd>${r.id}</dd>
<dt>Traffic</dt><dd>${r.fromColour ? html`${colourBadge(r.fromColour)} ${r.fromVersion}` : 'nothing live'} → ${colourBadge(r.toColour)} ${r.version}</dd>
<dt>Who</dt><dd>${whoDidWhat(r)}</dd>
${r.commit && html`<dt>Commit</dt><dd><code>${r.commit}</code></dd>`}
<dt>Asked</dt><dd>${timeOf(r.requestedAt, now)}</dd>
${r.verifyUntil && r.phase === 'verifying' && html`<dt>Verification ends</dt><dd>${timeOf(r.verifyUntil, now)}</dd>`}
</dl>
${r.error && html`<section class="error" aria-labelledby="error-heading">
<h2 id="error-heading">Error in ${r.error.phase}</h2>
<p><code>${r.error.code}</code>: ${r.error.message}</p>
${r.error.hint && html`<p>What to do: ${r.error.hint}</p>`}
</section>`}
<h2>Progress</h2>
<ul class="progress">
<li>Pods ready: ${pods ? countBar(pods.ready, pods.desired, `${pods.colour} pods ready`) : 'none reported'}</li>
<li>Nodes switched: ${nodes ? countBar(nodes.switched, nodes.total, `nodes switched to ${nodes.colour}`) : 'none yet'}</li>
<li>Mixed window (first node's reload to the last one's): ${nodes?.mixedWindowMs !== undefined ? formatDuration(nodes.mixedWindowMs) : 'not yet'}</li>
</ul>
${s.previewUrls.length > 0 && html`<h2>Preview</h2>
<p>${colourBadge(r.toColour)} ${r.version} before it takes traffic${s.nodes.length > 0 ? `, on ${s.nodes.join(', ')}` : ''}:</p>
<ul class="previews">${s.previewUrls.map((u) => html`<li>${/^https?:\/\//.test(u) ? html`<a href="${u}" rel="noreferrer">${u}</a>` : u}</li>`)}</ul>
${s.productionPreview && productionPreviewLine(s.productionPreview)}`}
<h2>Timeline</h2>
${timeline(r.transitions, final, now)}`;
  return { title: `${r.app} ${r.version}: ${r.phase} · switchyard`, main };
}

/** How to preview through the production vhost: the header, and the links that set and clear the cookie. */
function productionPreviewLine(p: ProductionPreview): SafeHtml {
  const links = p.link && p.off
    ? html`, or open <a href="${p.link}" rel="noreferrer">${p.link}</a> (a cookie for ${formatDuration(p.cookieMaxAgeSeconds * 1000)}; <a href="${p.off}" rel="noreferrer">turn it off</a>)`
    : '';
  return html`<p>Through production: send <code>${p.header}</code>${links}</p>`;
}

/** A phase as the timeline shows it: when it began, and every entry recorded in it (intents noted in the same phase). */
interface Stretch {
  phase: Transition['phase'];
  at: string;
  entries: Transition[];
}

/** Consecutive transitions into the same phase (a Start or a Promote noted while it waits) are one stretch of time. */
function stretches(transitions: readonly Transition[]): Stretch[] {
  const out: Stretch[] = [];
  for (const t of transitions) {
    const last = out.at(-1);
    if (last?.phase === t.phase) last.entries.push(t);
    else out.push({ phase: t.phase, at: t.at, entries: [t] });
  }
  return out;
}

/** Each phase with when it began, how long it took (the current one: so far) and a bar against the longest. */
function timeline(transitions: readonly Transition[], final: boolean, now: Date): SafeHtml {
  const all = stretches(transitions);
  const spans = all.map((t, i) => {
    const next = all[i + 1];
    const end = next ? new Date(next.at).getTime() : final ? undefined : now.getTime();
    return { t, ms: end === undefined ? undefined : Math.max(0, end - new Date(t.at).getTime()), current: !next && !final };
  });
  const longest = Math.max(1, ...spans.map((s) => s.ms ?? 0));
  // Phases already passed read as plain words; only where it stands (or how it ended) is marked.
  const next = (t: Stretch) => all[all.indexOf(t) + 1];
  return html`<table class="timeline">
<caption>Phases in order, each with how long it took</caption>
<thead><tr><th scope="col">Phase</th><th scope="col">Began</th><th scope="col">Took</th><th scope="col"><span class="visually-hidden">Share of the longest phase</span></th><th scope="col">By</th></tr></thead>
<tbody>${spans.map(
    ({ t, ms, current }) => html`<tr${current ? html` aria-current="step"` : ''}><th scope="row">${current || !next(t) ? phaseBadge(t.phase) : t.phase}</th><td>${timeOf(t.at, now)}</td><td>${
      ms === undefined ? '' : `${formatDuration(ms)}${current ? ' so far' : ''}`
    }</td><td>${ms === undefined ? '' : html`<progress class="bar" value="${ms}" max="${longest}" aria-label="${t.phase} took ${formatDuration(ms)}"></progress>`}</td><td>${t.entries
      .filter((e) => e.by || e.note)
      .map((e, i) => html`${i > 0 ? '; ' : ''}${e.by ? formatActor(e.by) : ''}${e.note ? html` <span class="muted">${e.note}</span>` : ''}`)}</td></tr>`,
  )}</tbody>
</table>`;
}

import { formatDuration } from '../deploy/wording.js';
import type { Phase } from '../state/app-state.js';
import type { Colour } from '../validate/patterns.js';
import { html, type SafeHtml } from './html.js';

/** Small pieces every page shows the same way: colours, phases, times, people. */

/** A colour as a badge that also says its name: colour is never the only signal. */
export const colourBadge = (colour: Colour | null | undefined): SafeHtml =>
  colour ? html`<span class="colour colour-${colour}">${colour}</span>` : html`<span class="colour colour-none">none</span>`;

/** Where a deploy stands, as words (the phase, or `words` about it) and a class the style sheet tints and marks (done, failed, in flight). */
export function phaseBadge(phase: Phase, words: string = phase): SafeHtml {
  const tone = phase === 'done' || phase === 'rolled-back' ? 'ok' : phase === 'failed' ? 'bad' : phase === 'aborted' ? 'off' : 'busy';
  return html`<span class="phase phase-${tone}" data-phase="${phase}">${words}</span>`;
}

/** A moment as a <time> people read in UTC ("14:03:05 UTC", with the date when not today). */
export function timeOf(iso: string, now: Date): SafeHtml {
  const at = new Date(iso);
  const day = at.toISOString().slice(0, 10);
  const clock = `${at.toISOString().slice(11, 19)} UTC`;
  return html`<time datetime="${at.toISOString()}">${day === now.toISOString().slice(0, 10) ? clock : `${day} ${clock}`}</time>`;
}

/** "12.0 s ago": how old what is shown is. */
export const ageOf = (iso: string, now: Date): string => `${formatDuration(Math.max(0, now.getTime() - new Date(iso).getTime()))} ago`;

/** "1 of 2 ready" as a bar with its words beside it (the bar alone says nothing to a screen reader). */
export const countBar = (done: number, total: number, label: string): SafeHtml =>
  html`<progress value="${done}" max="${Math.max(total, 1)}" aria-label="${label}">${done}/${total}</progress> <span>${done}/${total} ${label}</span>`;

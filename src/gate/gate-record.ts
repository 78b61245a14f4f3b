import type { Actor } from '../state/app-state.js';
import type { GateFigures } from './gate-figures.js';

/**
 * A deploy's gate window, kept in its record: the window's bounds (so an
 * agent that restarts resumes the same window), the latest figures (shown
 * live in Slack), and how the window ends when it does not simply pass.
 */
export interface GateRecord {
  /** The switch: only what the new colour answered from here on is judged. */
  since: string;
  /** The window's end: the drain and the retirement of the old colour wait until then. */
  until: string;
  figures?: GateFigures;
  /** The source could not be read and the app's onUnreadable is `hold`: waiting for a person. */
  held?: { at: string; message: string };
  /** A person with the rollback role ended the window early. */
  ended?: { by: Actor; how: 'accept' | 'rollback'; at: string };
  /** Why every node goes back to the old colour, recorded before the switch back: the deploy's evidence. */
  rollback?: { reason: string; crossed: string[]; nodes: string[]; figures?: GateFigures };
}

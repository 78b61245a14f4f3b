import type { Actor, DeployRecord, Phase } from '../state/app-state.js';
import type { Colour } from '../validate/patterns.js';

interface About {
  app: string;
  deployId: string;
}

/**
 * What a deploy reports as it goes, for the CLI, the logs and Slack. Events
 * are told, never asked: a listener that throws does not stop the deploy.
 *
 * @example
 * const onEvent = (e: DeployEvent) => { if (e.type === 'pods') bar.update(e.ready, e.desired); };
 */
export type DeployEvent =
  /** A deploy or rollback was accepted and recorded as pending. */
  | (About & { type: 'requested'; kind: DeployRecord['kind']; version: string; by: Actor; hold: boolean })
  /** Someone asked a deploy to go on (start, promote) or stop (abort, reject); its runner acts on it. */
  | (About & { type: 'intent'; verb: IntentVerb; by: Actor; phase: Phase })
  | (About & { type: 'phase'; from: Phase; to: Phase; by: Actor; note?: string; at: string })
  | (About & { type: 'pods'; colour: Colour; ready: number; desired: number })
  | (About & { type: 'nodes'; colour: Colour; switched: number; total: number; mixedWindowMs?: number })
  /** How long the deploy spent in `phase` (this agent's share of it when resumed). */
  | (About & { type: 'timing'; phase: Phase; ms: number })
  /**
   * The new colour's pods left Ready while it was verified or drained (`lost`: the deploy waits,
   * and fails unless all are Ready again by `until`), or are all Ready again (`regained`).
   * `since` is when the loss was first seen.
   */
  | (About & { type: 'readiness'; phase: Phase; colour: Colour; change: 'lost' | 'regained'; ready: number; desired: number; since: string; until?: string })
  | (About & { type: 'error'; phase: Phase; code: string; message: string; hint?: string })
  /** Something the deploy goes on through, but that people should know (a node whose drain cannot be told). */
  | (About & { type: 'warning'; phase: Phase; message: string })
  | (About & { type: 'resumed'; phase: Phase; how: ResumeHow; note?: string })
  | (About & { type: 'finished'; phase: Phase; record: DeployRecord })
  /** The runner stopped without finishing (shutdown, lost lock, state unreachable); an agent resumes it later. */
  | (About & { type: 'stopped'; phase: Phase; reason: string; hint?: string });

/**
 * On resume: carried on from the recorded phase; put every node back on the
 * old colour first (killed mid-switch) and then carried on as observed; or
 * unwound to failed/aborted because carrying on was unsafe.
 */
export type ResumeHow = 'continued' | 'reverted' | 'unwound';

export type IntentVerb = 'start' | 'promote' | 'abort';

export type DeployEventListener = (event: DeployEvent) => void;

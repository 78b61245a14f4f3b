import type { Actor, AppState, DeployRecord, Phase } from '../state/app-state.js';
import type { Colour } from '../validate/patterns.js';

/** Where create-colour takes the pod template from; 'previous' is resolved from AppState.previous by the runner. */
export type CreateFrom = { kind: 'mirror'; colour: Colour } | { kind: 'template' } | { kind: 'previous' };

/** Something the runner does, after the decision's transition is recorded. Each is safe to repeat. */
export type Action =
  | { kind: 'create-colour'; colour: Colour; version: string; from: CreateFrom }
  | { kind: 'wait-ready'; colour: Colour; timeoutMs: number }
  | { kind: 'smoke'; colour: Colour; path: string; status: number }
  /** Pause for start, promote or abort (recorded in state by the service), at most until `until`. */
  | { kind: 'await-intent'; until: string }
  /**
   * While the pause lasts, the switch's prepare done ahead: the new file
   * staged on every node (no traffic changes), so a promote costs only the
   * commit. A failure only warns; the switch then prepares in full.
   */
  | { kind: 'stage'; colour: Colour; from: Colour }
  /** Removes the staged files of a deploy undone after it reached verifying; repeating it is harmless. */
  | { kind: 'unstage' }
  /**
   * A forward switch names the colour every node must still serve (`from`, the
   * record's): the fleet re-checks it as it reads every node, right before it
   * changes any. A revert brings whatever mix it finds to `colour`.
   */
  | { kind: 'switch'; colour: Colour; reason: 'deploy'; from: Colour }
  | { kind: 'switch'; colour: Colour; reason: 'revert' }
  | { kind: 'wait-drained'; until: string }
  /**
   * The app's post-deploy command and release clean-up: decided once, with the
   * step into retiring, when the forward switch has drained and can no longer
   * be put back; never after a switch back. Not repeated by a resumed runner.
   */
  | { kind: 'post-deploy' }
  /** The colour lost Ready pods: look again each poll, at most until `until` (the end of its readiness grace). */
  | { kind: 'await-ready'; colour: Colour; until: string }
  | { kind: 'delete-colour'; colour: Colour }
  /** Sets the colour's desired replicas (the ReplicaSet's scale); its pods follow. */
  | { kind: 'scale-colour'; colour: Colour; replicas: number }
  /** Wait until `at`, then read the gate's source for what the new colour answered since the switch (see Observation.gate). */
  | { kind: 'gate-check'; at: string; since: string };

/** Record fields a decision may set with its transition. */
export type RecordPatch = Partial<
  Pick<DeployRecord, 'fromColour' | 'fromVersion' | 'toColour' | 'verifyUntil' | 'drainUntil' | 'switchedAt' | 'switched' | 'error' | 'abortedBy' | 'notReadySince' | 'gate'>
>;

/**
 * The answer of `decide`: the phase to record, what to set with it, and the
 * actions to take once it is recorded. A decision whose phase equals the
 * record's and that sets nothing is a continuation: nothing is written.
 */
export interface Decision {
  phase: Phase;
  actions: Action[];
  patch?: RecordPatch;
  /** Who asked for this transition; the agent itself when absent. */
  by?: Actor;
  /** Why, in words, kept in the transition and shown to people. */
  note?: string;
  /** The app's live colour to record (null: none). Absent: unchanged. */
  live?: AppState['live'];
  /** The colour being retired, kept so a rollback can re-create it. */
  previous?: NonNullable<AppState['previous']>;
}

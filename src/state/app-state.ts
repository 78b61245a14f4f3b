import type { GateRecord } from '../gate/gate-record.js';
import type { Colour } from '../validate/patterns.js';

/**
 * What switchyard knows about one app, kept in the cluster (a ConfigMap
 * `switchyard-<app>` in the app's namespace), never only in an agent's memory
 * (docs/architecture.md, invariant 6). Deadlines are timestamps in the record, so an agent
 * that restarts carries on from what it reads here.
 */
export type Phase =
  | 'pending'
  | 'discovering'
  | 'creating'
  | 'waiting'
  | 'verifying'
  | 'switching'
  /** After the switch, while the app's gate watches the new colour (the old one still runs). */
  | 'gating'
  | 'draining'
  | 'retiring'
  | 'done'
  | 'aborted'
  | 'failed'
  | 'rolled-back'
  /** The gate saw the new colour fail (or a person ended its window so): every node went back to the old one. */
  | 'auto-rolled-back';

export const FINAL_PHASES: readonly Phase[] = ['done', 'aborted', 'failed', 'rolled-back', 'auto-rolled-back'];

/** Who did something: a Slack user, a CI token's name, a CLI user, or the agent itself. */
export interface Actor {
  via: 'slack' | 'ci' | 'cli' | 'agent';
  id: string;
  name?: string;
}

export interface Transition {
  phase: Phase;
  at: string; // ISO 8601
  by?: Actor;
  note?: string;
}

export interface DeployRecord {
  id: string;
  app: string;
  /** A reconcile is never in flight: it goes to history once nodes and record agree (src/deploy/reconcile-app.ts). */
  kind: 'deploy' | 'rollback' | 'reconcile';
  version: string;
  /** Colour that was live when the deploy started; null for a first deploy. */
  fromColour: Colour | null;
  fromVersion: string | null;
  toColour: Colour;
  phase: Phase;
  requestedBy: Actor;
  requestedAt: string;
  skipVerify: boolean;
  /** Deadlines as ISO timestamps: verification times out, drain ends. */
  verifyUntil?: string;
  drainUntil?: string;
  /** Set once the fleet switch committed everywhere. */
  switchedAt?: string;
  /**
   * When a pass first saw the new colour, Ready before, without all its pods
   * Ready (while verified or drained); cleared once it is Ready again. The
   * app's readinessGraceSeconds run from here, so a restarted runner keeps
   * the same deadline.
   */
  notReadySince?: string;
  finishedAt?: string;
  /** Waits in pending for a Start (a CI deploy of an app with `requireStart`); nothing is created before. */
  hold?: boolean;
  startedBy?: Actor;
  promotedBy?: Actor;
  abortedBy?: Actor;
  /** The source commit CI built the version from, shown to the people approving it. */
  commit?: string;
  /** The API's Idempotency-Key: a retried request with it answers this deploy instead of starting another. */
  idempotencyKey?: string;
  /** The freeze windows this deploy went through, let by someone with the overrideFreeze role, and why. */
  freezeOverride?: { windows: string[]; until: string; reason: string; by: Actor };
  /** The deploy's Slack message, so whichever agent runs the deploy edits the same one. */
  chat?: { channel: string; ts: string };
  /** The gate's window after the switch, for an app with a gate. */
  gate?: GateRecord;
  /** What the switch did, once every node took the new colour. */
  switched?: { nodes: number; mixedWindowMs?: number };
  error?: { code: string; message: string; phase: Phase; hint?: string };
  transitions: Transition[];
}

/** Pod template as JSON (a V1PodTemplateSpec), kept to re-create a retired colour. */
export type PodTemplateJson = Record<string, unknown>;

export interface AppState {
  app: string;
  live: { colour: Colour; version: string } | null;
  previous: { colour: Colour; version: string; template: PodTemplateJson; replicas: number } | null;
  inFlight: DeployRecord | null;
  /** Finished deploys, newest first, at most HISTORY_LIMIT. */
  history: DeployRecord[];
  /** Counts every write, so a reader can tell the newer of two copies (the deploy feed). */
  revision?: number;
}

export const HISTORY_LIMIT = 50;

export const emptyAppState = (app: string): AppState => ({ app, live: null, previous: null, inFlight: null, history: [] });

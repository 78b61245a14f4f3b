import type { Actor, AppState, DeployRecord, Phase } from '../state/app-state.js';
import type { Colour } from '../validate/patterns.js';
import type { ResumeHow } from './deploy-event.js';
import type { RunResult } from './deploy-runner.js';
import type { PlanStep } from './plan-deploy.js';
import type { FleetView, LockSeen } from './ports.js';

/** What the deploy service's functions take and answer (src/deploy/deploy-service.ts). */

/** A deploy or rollback that was accepted: its record as first written, and its end. */
export interface Started {
  record: DeployRecord;
  /** Settles when the runner ends; never rejects. A replayed request's settles at once with the record as it is. */
  done: Promise<RunResult>;
  /** The request repeated an earlier one's Idempotency-Key: this is that deploy, nothing new was started. */
  replayed?: boolean;
}

export interface DeployOptions {
  by: Actor;
  skipVerify?: boolean;
  /** Wait in pending for a Start before creating anything (CI deploys of apps with `requireStart`). */
  hold?: boolean;
  commit?: string;
  /** A retried request with the same key (from the same requester) answers the same deploy. */
  idempotencyKey?: string;
  /** Why this deploy must go through a freeze window now; needs the overrideFreeze role. Ignored when nothing is frozen. */
  overrideFreeze?: string;
  /** Slack user groups of `by`, for the override's role check. */
  groups?: readonly string[];
}

/** A freeze window refusing deploys now, as the front ends show it. */
export interface FreezeView {
  windows: string[];
  /** ISO 8601: when deploys are accepted again. */
  until: string;
  /** In words, with the end on the app's clock and on UTC. */
  message: string;
}

interface ColourSummary {
  version: string;
  replicas: number;
  readyReplicas: number;
}

export interface AppStatus {
  app: string;
  live: AppState['live'];
  previous: { colour: Colour; version: string } | null;
  inFlight: DeployRecord | null;
  lastFinished: DeployRecord | null;
  /** Each colour's ReplicaSet now (absent when the cluster could not be read). */
  colours?: Record<Colour, ColourSummary | null>;
  /** What each node marks live (absent when the fleet could not be read). */
  fleet?: FleetView;
  /** What could not be read, in words. */
  problems: string[];
}

export interface DeployPlan {
  app: string;
  version: string;
  nodes: string[];
  fleet: FleetView;
  /** Why a deploy would be refused now (another one in flight). */
  blockedBy?: string;
  /** A freeze window refuses deploys now (unless overridden). */
  frozen?: FreezeView;
  steps: PlanStep[];
}

export interface ResumeReport {
  app: string;
  deployId?: string;
  /** The phase it was recorded in when this agent started. */
  phase?: Phase;
  /** idle: nothing in flight; held-elsewhere: another agent runs it; error: its state could not be read. */
  how: ResumeHow | 'idle' | 'held-elsewhere' | 'error';
  note?: string;
  /** held-elsewhere: whether the holder looks alive, and when its lease expires. */
  seen?: LockSeen;
  done?: Promise<RunResult>;
}

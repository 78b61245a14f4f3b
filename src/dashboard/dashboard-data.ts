import type { AppConfig } from '../config/schema.js';
import type { DeploySnapshot } from '../deploy/deploy-feed.js';
import type { DeployService } from '../deploy/deploy-service.js';
import type { FleetReport } from '../deploy/fleet-report.js';
import { retainedUntil } from '../deploy/retire-retained.js';
import { asSwitchyardError } from '../errors/switchyard-error.js';
import type { AppState, DeployRecord } from '../state/app-state.js';

/** What the pages read: the deploy service (state in the cluster, the feed) and the configured apps. */
export interface DashboardData {
  service: DeployService;
  apps: readonly AppConfig[];
  now: () => Date;
  /**
   * Why this agent has no fleet check to show, when it is not that none ran
   * yet: it does not lead (the leader checks), or the check is off. Null
   * when it checks the nodes itself.
   */
  fleetNote: () => string | null;
}

/** One app as the overview and its page show it. */
export interface AppView {
  app: AppConfig;
  /** Null when the state could not be read (`problem` says why). */
  state: AppState | null;
  problem: string | null;
  /** The deploy in flight, with its live progress from the feed. */
  inFlight: DeploySnapshot | null;
  /** When the kept previous colour is deleted; null when none is kept. */
  retainedUntil: Date | null;
  /** The latest fleet check; null before the first. */
  fleet: FleetReport | null;
  /** Shown instead of "not checked yet" when there is no check (DashboardData.fleetNote). */
  fleetNote: string | null;
}

/**
 * A deploy as a page shows it: the feed's latest snapshot (with pods and
 * nodes progress and preview URLs) when the feed follows it, else one made
 * from its record alone.
 */
export function snapshotOf(service: DeployService, record: DeployRecord, state: AppState): DeploySnapshot {
  const followed = service.feed.current({ deployId: record.id })[0];
  // A state just read may be ahead of the feed (which follows the cluster through a watch): the record with more transitions wins.
  if (followed && followed.record.transitions.length >= record.transitions.length) return followed;
  const previous = state.previous && { colour: state.previous.colour, version: state.previous.version };
  return { revision: 0, app: record.app, record, live: state.live, previous, progress: followed?.progress ?? {}, previewUrls: [], nodes: [] };
}

/** Every configured app, read from the cluster; an app whose state cannot be read is shown with why. */
export function loadApps(data: DashboardData): Promise<AppView[]> {
  return Promise.all(data.apps.map((app) => loadApp(data, app)));
}

export async function loadApp(data: DashboardData, app: AppConfig): Promise<AppView> {
  const fleet = data.service.feed.fleet(app.name)[0] ?? null;
  const fleetNote = data.fleetNote();
  try {
    const state = await data.service.readState(app.name);
    const until = retainedUntil(state, app);
    return {
      app,
      state,
      problem: null,
      inFlight: state.inFlight && snapshotOf(data.service, state.inFlight, state),
      retainedUntil: until && until > data.now() ? until : null,
      fleet,
      fleetNote,
    };
  } catch (err) {
    return { app, state: null, problem: asSwitchyardError(err).message, inFlight: null, retainedUntil: null, fleet, fleetNote };
  }
}

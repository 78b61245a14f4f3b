import type { AppConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import type { AppState } from '../state/app-state.js';
import { buildFleetReport } from './build-fleet-report.js';
import type { FleetReport } from './fleet-report.js';
import type { Clock, FleetPort, StatePort } from './ports.js';

export interface FleetReading {
  state: AppState;
  /** Null while a deploy of the app is in flight: a switch in progress is not drift, and its runner reads the nodes itself. */
  report: FleetReport | null;
  /** The nodes read, for a reconcile to switch. */
  nodes: FleetNode[];
}

/**
 * Reads the app's record, then (unless a deploy is in flight) discovers the
 * nodes and what each one's nginx serves, as one fleet report. The only
 * read behind `switchyard check`, `reconcile` and the drift check of `serve`.
 * `nodes`, when given, are the nodes to read, discovered once for several
 * apps.
 *
 * @example
 * const { report } = await readFleetReport({ state, fleet, clock }, app);
 * if (report?.drift) log.warn(report.drift);
 */
export async function readFleetReport(
  deps: { state: StatePort; fleet: FleetPort; clock: Clock },
  app: AppConfig,
  discovered?: readonly FleetNode[],
): Promise<FleetReading> {
  const state = await deps.state.read(app.name);
  if (state.inFlight) return { state, report: null, nodes: [] };
  const nodes = discovered ? [...discovered] : await deps.fleet.discover();
  const view = await deps.fleet.serving(nodes, app);
  // A deploy that started while the nodes were read may have caught them mid-switch: that is not drift.
  const after = await deps.state.read(app.name);
  if (after.inFlight) return { state: after, report: null, nodes: [] };
  return { state, report: buildFleetReport(app.name, view, state.live?.colour ?? null, deps.clock.now()), nodes };
}

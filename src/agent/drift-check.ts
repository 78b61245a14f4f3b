import type { DeployService } from '../deploy/deploy-service.js';
import { type FleetReport, sameFindings } from '../deploy/fleet-report.js';
import type { Clock } from '../deploy/ports.js';
import type { Logger } from '../log/logger.js';

/**
 * The periodic drift check of `switchyard serve` (docs/architecture.md,
 * invariant 13): at once and then every `everyMs` until `signal` aborts,
 * each app's fleet report goes to the deploy feed (the dashboard reads it
 * there). An app with a deploy in flight is skipped: a switch in progress is
 * not drift. A drift is fed only once two checks in a row found the same:
 * a node read between its file and its reload (salt, a hand edit, a
 * reconcile mid-switch) is a moment, not drift. The end of a drift is fed at
 * once. The feed tells only changed findings, so the log gets one
 * warning per change, naming the nodes and the command that fixes it, and
 * one info line when the drift ends. A check that fails is logged and tried
 * again next time.
 *
 * @example
 * await checkDrift(agent.service, { log, clock: systemClock, everyMs: 60_000, signal });
 */
export async function checkDrift(service: DeployService, options: { log: Logger; clock: Clock; everyMs: number; signal: AbortSignal }): Promise<void> {
  const { log, clock, everyMs, signal } = options;
  const drifting = new Set<string>();
  const lastSeen = new Map<string, FleetReport>();
  const stopWatching = service.feed.watchFleet((report) => {
    if (report.drift) {
      drifting.add(report.app);
      log.warn({ app: report.app, nodes: report.nodes, recorded: report.recorded }, `drift: ${report.drift}`);
    } else if (drifting.delete(report.app)) {
      log.info({ app: report.app, nodes: report.nodes }, `${report.app}: drift ended: every node serves ${report.nodes[0]?.colour ?? 'nothing'}, as recorded`);
    }
  });
  try {
    while (!signal.aborted) {
      await Promise.all(
        service.appNames.map(async (app) => {
          try {
            const { report } = await service.checkFleet(app);
            if (!report || signal.aborted) return;
            const before = lastSeen.get(app);
            lastSeen.set(app, report);
            if (!report.drift || (before && sameFindings(before, report))) service.feed.observeFleet(report);
          } catch (err) {
            log.warn({ err, app }, `${app}: drift check failed; trying again in ${everyMs / 1000} s`);
          }
        }),
      );
      await clock.sleep(everyMs, signal);
    }
  } finally {
    stopWatching();
  }
}

import type { DeployService } from '../deploy/deploy-service.js';
import { type FleetReport, sameFindings } from '../deploy/fleet-report.js';
import type { Logger } from '../log/logger.js';

/**
 * One pass of the drift check of `switchyard serve` (docs/architecture.md,
 * invariant 13), run by the leader every `agent.driftCheckSeconds`: each
 * app's fleet report goes to the deploy feed (the dashboard reads it there).
 * The nodes are discovered once per pass, and the apps are read one after
 * another: the check is background work sharing the SSH pool's slots with
 * deploys, so it never queues more than one app's reads ahead of a switch
 * (with 50 apps on 200 nodes, all at once would be 10,000 reads).
 * An app with a deploy in flight is skipped: a switch in progress is not
 * drift. A drift is fed only once two passes in a row found the same: a node
 * read between its file and its reload (salt, a hand edit, a reconcile
 * mid-switch) is a moment, not drift. The end of a drift is fed at once. The
 * feed tells only changed findings, so the log gets one warning per change,
 * naming the nodes and the command that fixes it, and one info line when the
 * drift ends. An app whose check fails, or a pass whose discovery fails, is
 * logged and tried again next pass.
 *
 * @example
 * server.whileLeading({ name: 'drift check', everyMs: 60_000, pass: driftCheck(agent.service, log) });
 */
export function driftCheck(service: DeployService, log: Logger): (signal: AbortSignal) => Promise<void> {
  const drifting = new Set<string>();
  const lastSeen = new Map<string, FleetReport>();
  // For the agent's lifetime: findings fed in any term are told once.
  service.feed.watchFleet((report) => {
    if (report.drift) {
      drifting.add(report.app);
      log.warn({ app: report.app, nodes: report.nodes, recorded: report.recorded }, `drift: ${report.drift}`);
    } else if (drifting.delete(report.app)) {
      log.info({ app: report.app, nodes: report.nodes }, `${report.app}: drift ended: every node serves ${report.nodes[0]?.colour ?? 'nothing'}, as recorded`);
    }
  });
  return async (signal) => {
    let nodes;
    try {
      nodes = await service.discoverNodes();
    } catch (err) {
      log.warn({ err }, 'drift check: cannot discover the nodes; trying again next pass');
      return;
    }
    for (const app of service.appNames) {
      if (signal.aborted) return;
      try {
        const { report } = await service.checkFleet(app, nodes);
        if (!report || signal.aborted) continue;
        const before = lastSeen.get(app);
        lastSeen.set(app, report);
        if (!report.drift || (before && sameFindings(before, report))) service.feed.observeFleet(report);
      } catch (err) {
        log.warn({ err, app }, `${app}: drift check failed; trying again next pass`);
      }
    }
  };
}

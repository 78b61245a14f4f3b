import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { DeployService } from '../deploy/deploy-service.js';
import { isFinal } from '../deploy/deploy-phases.js';
import type { DeployRecord, Phase } from '../state/app-state.js';

/** Deploys already counted, newest last; bounded, since the feed tells a finished deploy again only while it keeps it. */
const COUNTED_LIMIT = 1000;

/**
 * The agent's Prometheus metrics, on a registry of its own (never the
 * global one, so two agents in one process, as in tests, stay apart). One
 * object per agent: `serve` hands the same one to the API, which serves it
 * at /metrics, and to the Slack front end, which counts its API errors.
 *
 * @example
 * const metrics = new Metrics();
 * const stop = metrics.follow(agent.service); // counts each deploy once it finishes
 * metrics.slackApiError('chat.update', 'ratelimited');
 * res.end(await metrics.registry.metrics());
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly counted = new Set<string>();
  private readonly deploys = new Counter({
    name: 'switchyard_deploys_total',
    help: 'Finished deploys and rollbacks, by app, kind and result (done, failed, aborted, rolled-back, auto-rolled-back)',
    labelNames: ['app', 'kind', 'result'] as const,
    registers: [this.registry],
  });
  private readonly phaseSeconds = new Histogram({
    name: 'switchyard_deploy_phase_seconds',
    help: 'Time finished deploys spent in each phase (verifying includes the wait for a person)',
    labelNames: ['app', 'phase'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600],
    registers: [this.registry],
  });
  private readonly mixedWindow = new Histogram({
    name: 'switchyard_switch_mixed_window_seconds',
    help: "From the first node's nginx reload to the last one's in a switch: while nodes disagree",
    labelNames: ['app'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly nodesSwitched = new Counter({
    name: 'switchyard_nodes_switched_total',
    help: 'Nodes switched to a new colour by finished deploys and rollbacks',
    labelNames: ['app'] as const,
    registers: [this.registry],
  });
  private readonly slackErrors = new Counter({
    name: 'switchyard_slack_api_errors_total',
    help: 'Slack Web API calls that failed, by method and error',
    labelNames: ['method', 'error'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts every deploy of the service's feed once it finishes; returns the unsubscribe. */
  follow(service: DeployService): () => void {
    return service.watch({}, (s) => this.finished(s.record));
  }

  /** A Slack Web API call failed: `method` as 'chat.update', `error` as Slack names it ('ratelimited', 'channel_not_found'). */
  slackApiError(method: string, error: string): void {
    this.slackErrors.inc({ method, error });
  }

  private finished(r: DeployRecord): void {
    if (!isFinal(r.phase) || this.counted.has(r.id)) return;
    this.counted.add(r.id);
    if (this.counted.size > COUNTED_LIMIT) this.counted.delete(this.counted.values().next().value!);
    this.deploys.inc({ app: r.app, kind: r.kind, result: r.phase });
    for (const { phase, seconds } of phaseDurations(r)) this.phaseSeconds.observe({ app: r.app, phase }, seconds);
    if (r.switched) {
      this.nodesSwitched.inc({ app: r.app }, r.switched.nodes);
      if (r.switched.mixedWindowMs !== undefined) this.mixedWindow.observe({ app: r.app }, r.switched.mixedWindowMs / 1000);
    }
  }
}

/** How long the record stayed in each phase it left, from its transitions (notes within a phase do not split it). */
function phaseDurations(r: DeployRecord): { phase: Phase; seconds: number }[] {
  const spans: { phase: Phase; seconds: number }[] = [];
  let current: { phase: Phase; since: number } | undefined;
  for (const t of r.transitions) {
    const at = Date.parse(t.at);
    if (current && t.phase === current.phase) continue;
    if (current) spans.push({ phase: current.phase, seconds: (at - current.since) / 1000 });
    current = { phase: t.phase, since: at };
  }
  return spans;
}

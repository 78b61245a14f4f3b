/**
 * What the gate saw of the new colour since the switch, for the deploy record,
 * Slack and the API. Per node where the source tells nodes apart (nginx);
 * Prometheus answers for the whole fleet.
 */
export interface GateFigures {
  source: 'nginx' | 'prometheus';
  /** When the check read its source. */
  at: string;
  requests: number;
  /** Answers with a 5xx status. */
  errors: number;
  errorRatio: number;
  /** 95th percentile latency; absent when nothing reported one. */
  p95Ms?: number;
  nodes?: NodeFigures[];
}

export interface NodeFigures {
  node: string;
  requests: number;
  errors: number;
  p95Ms?: number;
}

/** One node's requests to the new colour in the window, as read from its log. */
export interface NodeSample {
  node: string;
  requests: number;
  errors: number;
  /** Upstream response times of the requests that had one. */
  latenciesMs: number[];
}

/** The 95th percentile, nearest rank; undefined for no values. */
export function p95(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.95 * sorted.length) - 1];
}

/**
 * Sums nodes' samples into the fleet's figures; the p95 is taken over every
 * node's requests together, not averaged from theirs.
 *
 * @example
 * sumSamples([{ node: 'node-1', requests: 10, errors: 1, latenciesMs: [3, 4] }], new Date())
 * // { source: 'nginx', requests: 10, errors: 1, errorRatio: 0.1, p95Ms: 4, nodes: [...] }
 */
export function sumSamples(samples: readonly NodeSample[], at: Date): GateFigures {
  const requests = samples.reduce((n, s) => n + s.requests, 0);
  const errors = samples.reduce((n, s) => n + s.errors, 0);
  const all = p95(samples.flatMap((s) => s.latenciesMs));
  return {
    source: 'nginx',
    at: at.toISOString(),
    requests,
    errors,
    errorRatio: requests === 0 ? 0 : errors / requests,
    ...(all === undefined ? {} : { p95Ms: all }),
    nodes: samples.map((s) => {
      const own = p95(s.latenciesMs);
      return { node: s.node, requests: s.requests, errors: s.errors, ...(own === undefined ? {} : { p95Ms: own }) };
    }),
  };
}

/** "412 requests, 5xx 1.2% (5), p95 38 ms": the figures in a line, for notes and Slack. */
export function describeFigures(f: GateFigures): string {
  const p = f.p95Ms === undefined ? '' : `, p95 ${formatMs(f.p95Ms)}`;
  return `${f.requests} requests, 5xx ${formatRatio(f.errorRatio)} (${f.errors})${p}`;
}

export const formatRatio = (r: number): string => `${(r * 100).toFixed(1)}%`;
export const formatMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

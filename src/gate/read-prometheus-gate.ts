import type { GateConfig } from './gate-schema.js';
import type { GateReading } from './evaluate-gate.js';

type PrometheusConfig = NonNullable<GateConfig['prometheus']>;

/** Values filled into the queries' {{placeholders}}. */
export interface QueryVars {
  app: string;
  colour: string;
  port: number;
  version: string;
  since: Date;
}

/** Fills a query's placeholders; {{window}} is the time since the switch in whole seconds, as PromQL writes a range ("45s"). */
export function fillQuery(query: string, vars: QueryVars, now: Date): string {
  const window = `${Math.max(1, Math.ceil((now.getTime() - vars.since.getTime()) / 1000))}s`;
  const values: Record<string, string> = { app: vars.app, colour: vars.colour, port: String(vars.port), version: vars.version, window };
  return query.replace(/\{\{(\w+)\}\}/g, (m, name: string) => values[name] ?? m);
}

/** One instant query's single number; undefined for an empty result (no series). */
async function instant(prom: PrometheusConfig, query: string, signal: AbortSignal): Promise<number | undefined> {
  const url = new URL('api/v1/query', prom.url.endsWith('/') ? prom.url : `${prom.url}/`);
  url.searchParams.set('query', query);
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => undefined)) as
    | { status?: string; error?: string; data?: { resultType: string; result: unknown } }
    | undefined;
  if (!res.ok || body?.status !== 'success' || !body.data) throw new Error(`HTTP ${res.status}${body?.error ? `: ${body.error}` : ''}`);
  const { resultType, result } = body.data;
  if (resultType === 'scalar') return Number((result as [number, string])[1]);
  if (resultType !== 'vector') throw new Error(`a ${resultType} instead of one number`);
  const series = result as { value: [number, string] }[];
  if (series.length === 0) return undefined;
  if (series.length > 1) throw new Error(`${series.length} series instead of one number: aggregate it (sum, max)`);
  return Number(series[0]!.value[1]);
}

/**
 * The new colour's figures from Prometheus: one instant query each for the
 * requests, the 5xx share and (when configured) the p95, per check. An
 * empty answer counts as none (no requests, no 5xx); an error, a timeout,
 * several series or a ratio that is not a number with requests seen make
 * the reading unreadable, naming the query.
 *
 * @example
 * await readPrometheusGate(gate.prometheus, { app: 'blog', colour: 'green', port: 30001, version: '2.0.0', since }, new Date());
 */
export async function readPrometheusGate(prom: PrometheusConfig, vars: QueryVars, now: Date, signal?: AbortSignal): Promise<GateReading> {
  const at = now.toISOString();
  const ask = async (name: string, query: string): Promise<number | undefined> => {
    const filled = fillQuery(query, vars, now);
    try {
      return await instant(prom, filled, AbortSignal.any([AbortSignal.timeout(prom.timeoutSeconds * 1000), ...(signal ? [signal] : [])]));
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${prom.timeoutSeconds}s` : ((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new Error(`Prometheus ${prom.url} query ${name} (${filled}): ${why}`);
    }
  };
  try {
    const [requests, ratio, p95] = await Promise.all([
      ask('requests', prom.requests),
      ask('errorRatio', prom.errorRatio),
      prom.p95Seconds ? ask('p95Seconds', prom.p95Seconds) : Promise.resolve(undefined),
    ]);
    const total = Math.round(requests ?? 0);
    const errorRatio = ratio === undefined || (Number.isNaN(ratio) && total === 0) ? 0 : ratio;
    if (!Number.isFinite(errorRatio)) throw new Error(`Prometheus ${prom.url} query errorRatio answered ${ratio} with ${total} requests`);
    return {
      kind: 'figures',
      figures: {
        source: 'prometheus',
        at,
        requests: total,
        errors: Math.round(errorRatio * total),
        errorRatio,
        ...(p95 !== undefined && Number.isFinite(p95) ? { p95Ms: p95 * 1000 } : {}),
      },
    };
  } catch (err) {
    return { kind: 'unreadable', at, message: (err as Error).message };
  }
}

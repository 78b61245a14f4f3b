import { afterEach, expect, it } from 'vitest';
import { readPrometheusGate } from '../../src/gate/read-prometheus-gate.js';
import { alice, deployStories } from '../support/deploy-story.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';
import { prometheusUnsupported, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

/** What every stand-in pod exposes (src/sandbox/node-port-proxy.ts), scraped through each node's NodePorts. */
const served = 'sandbox_http_requests_total{colour="{{colour}}"}';
const queries = {
  requests: `sum(increase(${served}[{{window}}]))`,
  errorRatio: `sum(increase(sandbox_http_requests_total{colour="{{colour}}",code=~"5.."}[{{window}}])) / sum(increase(${served}[{{window}}]))`,
  p95Seconds: 'histogram_quantile(0.95, sum by (le) (increase(sandbox_http_request_duration_seconds_bucket{colour="{{colour}}"}[{{window}}])))',
};
const vars = { app: 'blog', colour: 'blue', port: 30000, version: '1.0.0', since: new Date(Date.now() - 60_000) };

const missing = prometheusUnsupported();
if (missing && process.env.CI === 'true') throw new Error(`cannot test the Prometheus gate: ${missing}`);

describeOnFleet('the gate reading Debian\'s real Prometheus, which scrapes the nodes\' NodePorts', () => {
  const stories = deployStories();
  let prom: RunningPrometheus | undefined;
  afterEach(async () => {
    await prom?.close();
    prom = undefined;
  });

  it('rolls a version answering 500s back by itself, on Prometheus\' figures', async () => {
    prom = await startPrometheus();
    const gate = { source: 'prometheus', window: '1m', checkEvery: '1s', minRequests: 10, maxErrorRatio: 0.05, prometheus: { url: prom.url, ...queries } };
    const story = await stories.given({ app: { verify: { required: false }, gate }, versions: { '2.0.0': { errorShare: 0.3 } } });
    await prom.scrape(story.env.fleet.nodes.flatMap((n) => [
      { address: `${n.address}:30000`, labels: { colour: 'blue', node: n.name } },
      { address: `${n.address}:30001`, labels: { colour: 'green', node: n.name } },
    ]));
    await story.givenLoad();
    await prom.untilSeries('sandbox_http_requests_total{colour="blue"}');
    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();

    expect(record.phase).toBe('auto-rolled-back');
    expect(record.gate?.rollback).toMatchObject({ crossed: [expect.stringMatching(/^5xx \d+\.\d% > 5\.0%$/)], figures: { source: 'prometheus' } });
    expect(record.gate!.rollback!.figures!.requests).toBeGreaterThanOrEqual(10);
    expect(await servedByAll(story.env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
    const load = await story.loadReport();
    expect(load.connectionErrors, load.samples.join('\n')).toBe(0);

    // Blue's own figures, read the same way: every request a 200.
    const blue = await readPrometheusGate({ url: prom.url, ...queries, timeoutSeconds: 5 }, vars, new Date());
    expect(blue).toMatchObject({ kind: 'figures', figures: { source: 'prometheus', errorRatio: 0 } });
    if (blue.kind === 'figures') expect(blue.figures.p95Ms).toBeGreaterThan(0);

    // What Prometheus cannot answer is unreadable, naming the query, never figures.
    const bad = { url: prom.url, ...queries, timeoutSeconds: 5 };
    expect(await readPrometheusGate({ ...bad, requests: 'sum(' }, vars, new Date())).toMatchObject({ kind: 'unreadable', message: expect.stringMatching(/query requests \(sum\(\): HTTP 400: .*parse error/) });
    expect(await readPrometheusGate({ ...bad, requests: 'up' }, vars, new Date())).toMatchObject({ kind: 'unreadable', message: expect.stringMatching(/query requests \(up\): \d+ series instead of one number/) });
  });

  it('an unreachable Prometheus is an unreadable source: rolled back by default', async () => {
    prom = await startPrometheus();
    const url = prom.url;
    await prom.close();
    prom = undefined;
    const gate = { source: 'prometheus', window: '1m', checkEvery: '1s', prometheus: { url, ...queries } };
    const story = await stories.given({ app: { verify: { required: false }, gate } });
    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();
    expect(record.phase).toBe('auto-rolled-back');
    expect(record.gate?.rollback?.reason).toMatch(new RegExp(`gate: Prometheus ${url} query \\w+ .*ECONNREFUSED`));
  });
});

import { describe, expect, it } from 'vitest';
import { evaluateGate, type GateReading } from '../../src/gate/evaluate-gate.js';
import { p95, sumSamples, type NodeSample } from '../../src/gate/gate-figures.js';

const at = new Date('2026-01-01T00:00:00Z');
const node = (name: string, requests: number, errors: number, latenciesMs: number[] = []): NodeSample => ({ node: name, requests, errors, latenciesMs });
const read = (...samples: NodeSample[]): GateReading => ({ kind: 'figures', figures: sumSamples(samples, at) });
const gate = { minRequests: 20, maxErrorRatio: 0.05, maxP95Seconds: 0.2 };

describe('the gate evaluator', () => {
  it.each([
    ['good figures pass', read(node('n1', 30, 0, [5, 6]), node('n2', 30, 1, [7])), { kind: 'pass' }],
    ['too few requests are not judged, even all 5xx', read(node('n1', 19, 19)), { kind: 'not-enough-data' }],
    ['a 5xx share over the threshold fails, naming the node', read(node('n1', 30, 0), node('n2', 30, 9)),
      { kind: 'fail', crossed: ['5xx 15.0% > 5.0%'], nodes: ['n2'] }],
    ['exactly at the threshold passes', read(node('n1', 100, 5)), { kind: 'pass' }],
    ['a slow p95 fails', read(node('n1', 40, 0, Array.from({ length: 40 }, (_, i) => (i < 35 ? 10 : 900))), node('n2', 40, 0, [10])),
      { kind: 'fail', crossed: ['p95 900 ms > 200 ms'], nodes: ['n1'] }],
    ['both thresholds, every node', read(node('n1', 30, 30, [500]), node('n2', 30, 30, [500])),
      { kind: 'fail', crossed: ['5xx 100.0% > 5.0%', 'p95 500 ms > 200 ms'], nodes: ['n1', 'n2'] }],
    ['a source that cannot be read is never a pass', { kind: 'unreadable', at: at.toISOString(), message: 'node-2: connection refused' } as GateReading,
      { kind: 'source-unreadable', message: 'node-2: connection refused' }],
  ])('%s', (_name, reading, expected) => {
    expect(evaluateGate(reading, gate)).toMatchObject(expected);
  });

  it('without a latency threshold, latency does not matter', () => {
    expect(evaluateGate(read(node('n1', 30, 0, [60_000])), { minRequests: 20, maxErrorRatio: 0.05 }).kind).toBe('pass');
  });

  it('sums nodes and takes the p95 over all their requests', () => {
    const f = sumSamples([node('n1', 10, 1, [1, 2, 3]), node('n2', 10, 0, [100])], at);
    expect(f).toMatchObject({ requests: 20, errors: 1, errorRatio: 0.05, p95Ms: 100, nodes: [{ node: 'n1', p95Ms: 3 }, { node: 'n2', p95Ms: 100 }] });
    expect(p95([])).toBeUndefined();
    expect(p95(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(95);
  });
});

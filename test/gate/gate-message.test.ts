import { describe, expect, it } from 'vitest';
import { deployMessage } from '../../src/chatops/deploy-message.js';
import type { DeploySnapshot } from '../../src/deploy/deploy-feed.js';
import { sumSamples } from '../../src/gate/gate-figures.js';
import type { GateRecord } from '../../src/gate/gate-record.js';
import type { DeployRecord } from '../../src/state/app-state.js';
import { at, iso, record, T0 } from '../deploy/fixtures.js';

const snapshot = (r: DeployRecord): DeploySnapshot => ({ revision: 1, app: 'blog', record: r, live: { colour: 'green', version: 'v2' }, previous: null, progress: {}, previewUrls: [], nodes: [] });
const figures = sumSamples([{ node: 'node-a', requests: 200, errors: 1, latenciesMs: [12, 30] }, { node: 'node-b', requests: 180, errors: 40, latenciesMs: [15] }], at(20));
const gating = (gate: Partial<GateRecord>) => record('gating', { gate: { since: iso(0), until: iso(60), ...gate } });
const message = (r: DeployRecord) => deployMessage(snapshot(r), T0);
const buttons = (r: DeployRecord) => message(r).blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => (e.type === 'button' ? e.action_id : '?')) : []));
const text = (r: DeployRecord) => JSON.stringify(message(r).blocks);

describe('the deploy message while the gate watches', () => {
  it('shows the live figures, per node, and offers Accept and Roll back', () => {
    const r = gating({ figures });
    expect(message(r).text).toBe('Deploy of blog v2: gate watching the new colour');
    expect(text(r)).toContain('Gate until 10:01:00 UTC (nginx): 380 requests, 5xx 10.8% (41), p95 30 ms');
    expect(text(r)).toContain('node-b: 180 requests, 40 5xx, p95 15 ms');
    expect(buttons(r)).toEqual(['gate-accept', 'gate-rollback']);
  });

  it('before the first check it says so', () => {
    expect(text(gating({}))).toContain('Gate until 10:01:00 UTC (no check yet)');
  });

  it('asks a person when it holds', () => {
    const r = gating({ held: { at: iso(5), message: 'gate log unreadable: node-b: cannot read /var/log/nginx/x.log' } });
    expect(message(r).text).toBe('Deploy of blog v2: gate holding: waiting for Roll back or Accept');
    expect(text(r)).toContain('Holding: gate log unreadable: node-b');
    expect(buttons(r)).toEqual(['gate-accept', 'gate-rollback']);
  });

  it('once rolled back: the evidence, which nodes, and nothing to click', () => {
    const rollback = { reason: 'gate: 5xx 10.8% > 5.0% (380 requests, 5xx 10.8% (41), p95 30 ms)', crossed: ['5xx 10.8% > 5.0%'], nodes: ['node-b'], figures };
    const r = { ...record('auto-rolled-back', { gate: { since: iso(0), until: iso(60), figures, rollback } }), finishedAt: iso(21) };
    expect(message(r).text).toBe('Deploy of blog v2: auto-rolled-back: gate: 5xx 10.8% &gt; 5.0% (380 requests, 5xx 10.8% (41), p95 30 ms) (on node-b); blue v1 is live again');
    expect(text(r)).toContain('Gate rolled back: gate: 5xx 10.8% &gt; 5.0%');
    expect(text(r)).toContain('node-b: 180 requests, 40 5xx');
    expect(buttons(r)).toEqual([]);
  });
});

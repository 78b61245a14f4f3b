import { describe, expect, it } from 'vitest';
import { buildFleetReport } from '../../src/deploy/build-fleet-report.js';
import type { FleetView } from '../../src/deploy/ports.js';
import type { Colour } from '../../src/validate/patterns.js';
import { fleet, T0 } from './fixtures.js';

const fix = 'run `switchyard reconcile blog`';

describe('buildFleetReport: the drift line', () => {
  it.each<[string, FleetView, Colour | null, string | null]>([
    ['every node on the recorded colour: no drift', fleet('blue'), 'blue', null],
    ['nothing recorded yet and the nodes agree: no drift', fleet('green'), null, null],
    ['one node on the other colour (salt laid it down)', fleet('blue', 'blue', 'green'), 'blue', `blog: nodes disagree: blue on node-a, node-b; green on node-c (the record says blue); ${fix}`],
    ['every node agrees, but not with the record', fleet('green'), 'blue', `blog: every node serves green but the record says blue; ${fix}`],
    ['a node that cannot be told is drift too, and sends the person to `nodes` first', fleet('blue', null, 'blue'), 'blue', 'blog: cannot tell what node-b (connection refused) serves; see `switchyard nodes`, then check again'],
    ['the readable nodes off the record, one unreadable', fleet('green', null, 'green'), 'blue', 'blog: node-a, node-c serve green but the record says blue; cannot tell what node-b (connection refused) serves; see `switchyard nodes`, then check again'],
    ['no nodes at all', { agreed: null, nodes: [] }, 'blue', 'blog: no nodes discovered; check discovery (`switchyard nodes`)'],
  ])('%s', (_, view, recorded, drift) => {
    const report = buildFleetReport('blog', view, recorded, T0);
    expect(report.drift === null ? null : report.drift.replace(/: it shows .*$/, '')).toBe(drift);
    expect(report).toMatchObject({ app: 'blog', checkedAt: T0.toISOString(), recorded });
    expect(report.nodes.map((n) => n.colour)).toEqual(view.nodes.map((n) => n.colour));
  });
});

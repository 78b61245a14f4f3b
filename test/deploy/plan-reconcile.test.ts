import { describe, expect, it } from 'vitest';
import { buildFleetReport } from '../../src/deploy/build-fleet-report.js';
import { planReconcile } from '../../src/deploy/plan-reconcile.js';
import type { ColoursView } from '../../src/deploy/ports.js';
import type { AppState } from '../../src/state/app-state.js';
import type { Colour } from '../../src/validate/patterns.js';
import { colours, fleet, rs, T0 } from './fixtures.js';

const blue1 = rs('v1', 3);
const green2 = rs('v2', 3);
const live = (colour: Colour, version: string): AppState['live'] => ({ colour, version });
const report = (...perNode: (Colour | null)[]) => buildFleetReport('blog', fleet(...perNode), null, T0);

describe('planReconcile: the target and what changes', () => {
  it.each<[string, ReturnType<typeof report>, AppState['live'], ColoursView, Colour | undefined, object]>([
    [
      'a node salt set to the retired colour: back to the Ready colour most nodes serve',
      report('green', 'green', 'blue'), live('green', 'v2'), colours(null, green2), undefined,
      { target: 'green', version: 'v2', nodes: [{ node: 'node-c', from: 'blue' }], nothingToDo: false },
    ],
    [
      'both colours Ready: the one most nodes serve wins over the record',
      report('green', 'green', 'blue'), live('blue', 'v1'), colours(blue1, green2), undefined,
      { target: 'green', nodes: [{ node: 'node-c', from: 'blue' }], record: { from: live('blue', 'v1'), to: live('green', 'v2') } },
    ],
    [
      'most nodes serve a colour with no pods: the Ready one, even if fewer serve it',
      report('green', 'green', 'blue'), live('blue', 'v1'), colours(blue1, null), undefined,
      { target: 'blue', nodes: [{ node: 'node-a', from: 'green' }, { node: 'node-b', from: 'green' }] },
    ],
    [
      'a tie between Ready colours goes to the recorded one',
      buildFleetReport('blog', fleet('green', 'blue'), 'blue', T0), live('blue', 'v1'), colours(blue1, green2), undefined,
      { target: 'blue', nodes: [{ node: 'node-a', from: 'green' }] },
    ],
    [
      'every node agrees but the record does not: only the record changes',
      report('green'), live('blue', 'v1'), colours(blue1, green2), undefined,
      { target: 'green', nodes: [], record: { to: live('green', 'v2') }, nothingToDo: false },
    ],
    [
      '--to picks the colour',
      report('green', 'green', 'blue'), live('green', 'v2'), colours(blue1, green2), 'blue',
      { target: 'blue', nodes: [{ node: 'node-a', from: 'green' }, { node: 'node-b', from: 'green' }] },
    ],
    ['nodes and record agree: nothing to do', report('blue'), live('blue', 'v1'), colours(blue1, null), undefined, { target: 'blue', nodes: [], nothingToDo: true }],
  ])('%s', (_, r, l, c, to, want) => {
    expect(planReconcile(r, l, c, to)).toMatchObject(want);
  });
});

describe('planReconcile: refusals say what, where and the next step', () => {
  it.each<[string, ReturnType<typeof report>, ColoursView, Colour | undefined, string, RegExp, RegExp]>([
    ['--to a colour with no pods', report('blue', 'green', 'blue'), colours(blue1, null), 'green', 'pods-not-ready', /^cannot reconcile blog to green: blog-green has no ReplicaSet, and traffic only goes to a colour whose pods are all Ready; nothing was changed$/, /blog-blue is Ready: switchyard reconcile blog --to blue/],
    ['--to a colour still starting', report('blue', 'green', 'blue'), colours(blue1, rs('v2', 3, 1)), 'green', 'pods-not-ready', /blog-green has 1\/3 Ready/, /--to blue/],
    ['no colour Ready at all', report('blue', 'green', 'blue'), colours(null, rs('v2', 3, 0)), undefined, 'pods-not-ready', /no colour has all its pods Ready \(blog-blue has no ReplicaSet, blog-green has 0\/3 Ready\)/, /switchyard deploy blog <version>/],
    ['a node that cannot be read', report('blue', null, 'green'), colours(blue1, green2), undefined, 'switch-prepare-failed', /cannot tell what node-b \(connection refused\) serves/, /switchyard nodes/],
  ])('%s', (_, r, c, to, code, message, hint) => {
    let err: unknown;
    try {
      planReconcile(r, live('blue', 'v1'), c, to);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code, message: expect.stringMatching(message), hint: expect.stringMatching(hint) });
  });
});

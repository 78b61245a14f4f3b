import { expect, it } from 'vitest';
import { alice, bob, deployStories } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';

describeOnFleet('a deploy end to end: deploy → verify → promote → done, on three real nodes', () => {
  const stories = deployStories();

  it('moves every node to 2.0.0 under load without failing one request, retires blue, and records who did what (invariants 1, 2, 4, 7)', async () => {
    // Given blue serving 1.0.0 on three nodes, with clients hitting every node's nginx.
    const story = await stories.given();
    await story.givenLoad();

    // When alice deploys 2.0.0 and bob promotes it once green is Ready and verified.
    await story.whenDeployed('2.0.0', alice);
    const verifying = await story.untilPhase('verifying');
    expect(story.replicaSet('green')?.version).toBe('2.0.0');
    // Invariant 1: the pause starts only with every green pod Ready; nobody sees 2.0.0 yet.
    expect(story.events).toContainEqual(expect.objectContaining({ type: 'pods', colour: 'green', ready: 2, desired: 2 }));
    expect(Object.keys(story.bodiesSoFar())).toEqual(['blog 1.0.0']);
    expect(verifying.promotedBy).toBeUndefined();
    await story.whenPromoted(bob);
    const record = await story.untilFinished();

    // Then the deploy is done, and from then on every response is 2.0.0.
    expect(record.phase).toBe('done');
    const atDone = story.bodiesSoFar();
    for (let round = 0; round < 5; round++) expect(await servedByAll(story.env.fleet)).toEqual(['blog 2.0.0', 'blog 2.0.0', 'blog 2.0.0']);
    const load = await story.loadReport();
    console.log(`deploy under load: ${load.sent} requests sent through 3 nodes, ${load.connectionErrors + load.badStatus} failed`, load.bodies);
    expect(load.connectionErrors + load.badStatus, load.samples.join('\n')).toBe(0);
    expect(load.bodies['blog 1.0.0'] ?? 0, 'no 1.0.0 answer once the deploy is done').toBe(atDone['blog 1.0.0'] ?? 0);
    expect(load.bodies['blog 2.0.0']).toBeGreaterThan(atDone['blog 2.0.0'] ?? 0);
    expect(Object.keys(load.bodies).sort()).toEqual(['blog 1.0.0', 'blog 2.0.0']);

    // Invariant 2: all nodes switched together; invariant 4: blue is gone only now.
    expect(story.events).toContainEqual(expect.objectContaining({ type: 'nodes', colour: 'green', switched: 3, total: 3 }));
    const { colour, version, state } = await expectConsistent(story.env);
    expect({ colour, version }).toEqual({ colour: 'green', version: '2.0.0' });
    expect(story.replicaSet('blue')).toBeUndefined();
    const phases = story.events.flatMap((e) => (e.type === 'phase' ? [e.to] : []));
    expect(phases).toEqual(['discovering', 'creating', 'waiting', 'verifying', 'switching', 'draining', 'retiring', 'done']);

    // Invariant 7: the record says who asked and who promoted, and keeps it in history.
    expect(state.live).toEqual({ colour: 'green', version: '2.0.0' });
    expect(state.previous).toMatchObject({ colour: 'blue', version: '1.0.0' });
    expect(state.history[0]).toMatchObject({
      id: record.id,
      kind: 'deploy',
      version: '2.0.0',
      fromColour: 'blue',
      fromVersion: '1.0.0',
      toColour: 'green',
      phase: 'done',
      requestedBy: alice,
      promotedBy: bob,
    });
    expect(state.history[0]!.transitions).toContainEqual(expect.objectContaining({ phase: 'switching', by: bob, note: 'promoted' }));
    expect(state.history[0]!.transitions[0]).toMatchObject({ phase: 'pending', by: alice });
  });
});

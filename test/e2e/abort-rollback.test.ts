import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { alice, bob, carol, deployStories, type DeployStory } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';

/** Given blue 1.0.0 live, alice deploys 2.0.0 and bob promotes it: green 2.0.0 is live. */
async function givenGreenDeployed(story: DeployStory): Promise<void> {
  await story.whenDeployed('2.0.0', alice);
  await story.untilPhase('verifying');
  await story.whenPromoted(bob);
  expect((await story.untilFinished()).phase).toBe('done');
}

/** Each node's nginx worker pids: a reload replaces them all. */
function nginxWorkers(story: DeployStory): Promise<string[]> {
  const { fleet } = story.env;
  return Promise.all(fleet.nodes.map(async (n) => {
    const master = await fleet.nginxMaster(n);
    return (await readFile(`/proc/${master}/task/${master}/children`, 'utf8')).trim();
  }));
}

describeOnFleet('abort and rollback end to end, on three real nodes', () => {
  const stories = deployStories();

  it('abort at verifying removes the new colour and never touches traffic (invariants 2, 4, 7)', async () => {
    // Given a site switchyard already deploys to: green 1.0.0 live and recorded.
    const story = await stories.given({ managed: true });
    await story.givenLoad();
    const before = await nginxWorkers(story);
    expect(before.every((w) => w.length > 0)).toBe(true);

    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    expect(story.replicaSet('blue')?.version).toBe('2.0.0');
    await story.whenAborted(bob);
    const record = await story.untilFinished();

    expect(record).toMatchObject({ phase: 'aborted', toColour: 'blue', requestedBy: alice, abortedBy: bob });
    expect(record.switchedAt).toBeUndefined();
    expect(story.replicaSet('blue')).toBeUndefined();
    const load = await story.loadReport();
    expect(load.connectionErrors + load.badStatus, load.samples.join('\n')).toBe(0);
    expect(Object.keys(load.bodies), 'every response was 1.0.0 throughout').toEqual(['blog 1.0.0']);
    // No node was even reloaded: the same nginx workers, no switch reported.
    expect(await nginxWorkers(story)).toEqual(before);
    expect(story.events.some((e) => e.type === 'nodes')).toBe(false);
    const { colour, version, state } = await expectConsistent(story.env);
    expect({ colour, version }).toEqual({ colour: 'green', version: '1.0.0' });
    expect(state.history[0]).toMatchObject({ id: record.id, phase: 'aborted', abortedBy: bob });
  });

  // On a first deploy the runner adopts the colour the nodes serve; an abort
  // must record it live again, or the state would say nothing serves.
  it('an aborted first deploy leaves blue 1.0.0 serving and recorded live (invariant 6)', async () => {
    const story = await stories.given();
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    await story.whenAborted(bob);
    expect((await story.untilFinished()).phase).toBe('aborted');
    expect(story.state().history[0]).toMatchObject({ fromColour: 'blue', fromVersion: '1.0.0' });
    expect(await servedByAll(story.env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
    const { colour, version } = await expectConsistent(story.env);
    expect({ colour, version }).toEqual({ colour: 'blue', version: '1.0.0' });
  });

  it('rollback while blue still runs (retention) is a straight switch back, nothing re-created (invariants 1, 2, 7)', async () => {
    const story = await stories.given({ app: { retainMinutes: 10 } });
    await givenGreenDeployed(story);
    // Retention keeps blue running, Ready, for an instant rollback.
    await expectConsistent(story.env, { retained: true });
    const blueUid = story.env.kube.store.find('replicasets', 'blog', 'blog-blue')!.metadata.uid;

    await story.givenLoad();
    const rollback = await story.whenRolledBack(carol);
    expect(rollback).toMatchObject({ kind: 'rollback', version: '1.0.0', toColour: 'blue', requestedBy: carol });
    const record = await story.untilFinished();

    expect(record.phase).toBe('rolled-back');
    const phases = story.events.filter((e) => e.type === 'phase' && e.deployId === record.id).map((e) => (e.type === 'phase' ? e.to : ''));
    expect(phases).toEqual(['discovering', 'switching', 'draining', 'retiring', 'rolled-back']);
    expect(record.transitions).toContainEqual(expect.objectContaining({ phase: 'switching', note: 'blog-blue still runs 1.0.0: switching straight back' }));
    // The very same ReplicaSet serves again: not re-created.
    expect(story.env.kube.store.find('replicasets', 'blog', 'blog-blue')!.metadata.uid).toBe(blueUid);
    const load = await story.loadReport();
    expect(load.connectionErrors + load.badStatus, load.samples.join('\n')).toBe(0);
    expect(Object.keys(load.bodies).sort(), 'the load ran from before the switch back to after it').toEqual(['blog 1.0.0', 'blog 2.0.0']);
    expect(await servedByAll(story.env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
    const { colour, version, state } = await expectConsistent(story.env, { retained: true });
    expect({ colour, version }).toEqual({ colour: 'blue', version: '1.0.0' });
    expect(state.previous).toMatchObject({ colour: 'green', version: '2.0.0' });
    expect(state.history.map((h) => [h.kind, h.phase, h.requestedBy.id])).toEqual([
      ['rollback', 'rolled-back', carol.id],
      ['deploy', 'done', alice.id],
    ]);
  });

  it('rollback after blue was retired re-creates 1.0.0 from the recorded template, waits for it, then switches (invariants 1, 4, 7)', async () => {
    const story = await stories.given();
    await givenGreenDeployed(story);
    expect(story.replicaSet('blue')).toBeUndefined();
    const recorded = story.state().previous!;
    expect(recorded).toMatchObject({ colour: 'blue', version: '1.0.0', replicas: 2 });

    await story.givenLoad();
    await story.whenRolledBack(carol);
    const record = await story.untilFinished();

    expect(record).toMatchObject({ phase: 'rolled-back', kind: 'rollback', requestedBy: carol });
    const phases = story.events.filter((e) => e.type === 'phase' && e.deployId === record.id).map((e) => (e.type === 'phase' ? e.to : ''));
    // No verification pause on a rollback, and the switch only after every blue pod was Ready.
    expect(phases).toEqual(['discovering', 'creating', 'waiting', 'switching', 'draining', 'retiring', 'rolled-back']);
    const blue = story.env.kube.store.find('replicasets', 'blog', 'blog-blue')!;
    expect((blue.spec as { template: unknown }).template).toMatchObject(recorded.template);
    const load = await story.loadReport();
    expect(load.connectionErrors + load.badStatus, load.samples.join('\n')).toBe(0);
    expect(Object.keys(load.bodies).sort(), 'the load ran from before the switch back to after it').toEqual(['blog 1.0.0', 'blog 2.0.0']);
    const { colour, version } = await expectConsistent(story.env);
    expect({ colour, version }).toEqual({ colour: 'blue', version: '1.0.0' });
    expect(story.replicaSet('green')).toBeUndefined();
  });
});

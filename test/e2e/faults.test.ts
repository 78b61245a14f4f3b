import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { DeployRecord } from '../../src/state/app-state.js';
import { alice, bob, deployStories, type DeployStory } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, hookedTestCommand } from '../support/fleet.js';

/**
 * Every story starts on a site switchyard already deploys to (green 1.0.0
 * live and recorded) and deploys 2.0.0 to blue; each fault must end with the
 * deploy failed, its error saying what failed where, and the app consistent:
 * green 1.0.0 on every node, blue gone, nothing in flight.
 */
async function expectFailedBackOnGreen(story: DeployStory, record: DeployRecord, error: { phase: string; code?: string; message: RegExp }): Promise<void> {
  expect(record.phase).toBe('failed');
  expect(record.error).toMatchObject({ phase: error.phase, ...(error.code ? { code: error.code } : {}) });
  expect(record.error!.message).toMatch(error.message);
  expect(story.errors().map((e) => e.message)).toContain(record.error!.message);
  expect(record.switchedAt).toBeUndefined();
  const { colour, version, state } = await expectConsistent(story.env);
  expect({ colour, version }).toEqual({ colour: 'green', version: '1.0.0' });
  expect(state.history[0]).toMatchObject({ id: record.id, phase: 'failed', requestedBy: alice });
}

describeOnFleet('faults during a deploy, each ending consistent, on three real nodes', () => {
  const stories = deployStories();

  it('pods that never get Ready: the wait times out, blue is removed, traffic never moved (invariants 1, 4)', async () => {
    const story = await stories.given({ managed: true, app: { readyTimeout: '3s' } });
    story.env.kube.failImage('2.0.0', 'NeverReady');

    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();

    await expectFailedBackOnGreen(story, record, { phase: 'waiting', code: 'pods-not-ready', message: /blog-blue in blog: 0\/2 pods Ready after 3 s/ });
  });

  it('ImagePullBackOff: fails fast naming the pod and the reason (invariant 1)', async () => {
    const story = await stories.given({ managed: true });
    story.env.kube.failImage('2.0.0', 'ImagePullBackOff');

    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();

    await expectFailedBackOnGreen(story, record, { phase: 'waiting', code: 'pods-not-ready', message: /pod blog\/blog-blue-\w+ of blog-blue \(version 2\.0\.0\) will not become Ready: (ImagePullBackOff|ErrImagePull)/ });
  });

  it('one node\'s sshd down at switch time: the switch fails naming the node, every node stays on green (invariants 2, 4)', async () => {
    const story = await stories.given({ managed: true });
    const { fleet } = story.env;
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    await fleet.stopSshd(fleet.nodes[1]!);
    await story.whenPromoted(bob);
    const record = await story.untilFinished();

    // A switch refused in prepare changed no node; the unwind leaves the fleet
    // alone (node-2 still cannot be read) and only removes blue.
    await expectFailedBackOnGreen(story, record, {
      phase: 'switching',
      code: 'switch-prepare-failed',
      message: /^cannot prepare blog on node-2: cannot connect over SSH: connection refused \(is sshd running\?\); nothing was changed on any node$/,
    });
  });

  it('nginx -t failing on one node: the switch fails naming the node, no node keeps the new file (invariants 2, 3)', async () => {
    // nginx -t passes while the switch prepares (a broken config is refused there), then fails on node-3 as it arms.
    const story = await stories.given({ managed: true, nginx: (fleet) => ({ testCommand: hookedTestCommand(fleet) }) });
    const failing = join(story.env.fleet.nodes[2]!.dir, 'test-fail');
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    await writeFile(failing, '');
    await story.whenPromoted(bob);
    const record = await story.untilFinished();
    await rm(failing);

    await expectFailedBackOnGreen(story, record, { phase: 'switching', code: 'switch-commit-failed', message: /node-3: nginx -t failed/ });
  });

  it('the API server answering 500 on create: the deploy fails saying what it could not create (invariant 4)', async () => {
    const story = await stories.given({ managed: true });
    story.env.kube.faults.add({ verb: 'create', resource: 'replicasets', status: 500, times: 3 });

    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();

    await expectFailedBackOnGreen(story, record, { phase: 'creating', message: /cannot create ReplicaSet blog\/blog-blue: the Kubernetes API answered 500/ });
  });
});

import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startLoad } from '../../src/sandbox/load/http-load.js';
import { untilAppState, untilLockFree } from '../support/app-state-in-store.js';
import { alice, deployStories } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, hookedTestCommand } from '../support/fleet.js';

describeOnFleet('two apps deployed at once on the same real nodes (docs/architecture.md, invariants 2, 11)', () => {
  const stories = deployStories();

  it('one fails at commit, the other switches: each ends on one colour with Ready pods, and files, nginx and the record agree', async () => {
    const story = await stories.given({ moreApps: ['www'], nginx: (fleet) => ({ testCommand: hookedTestCommand(fleet) }) });
    const { fleet, kube } = story.env;
    const { service } = story.agent;
    const load = startLoad(fleet.nodes.flatMap((n) => ['blog', 'www'].map((app) => ({ host: n.address, port: 80, hostHeader: app }))), { mode: 'close', perTarget: 1 });
    await load.nextAnswers();

    // The first app to arm node-2 holds there, then fails its nginx -t; the other waits for that node's lock.
    await writeFile(join(fleet.nodes[1]!.dir, 'test-hold-fail-once'), '');
    const deploys = await Promise.all(['blog', 'www'].map((app) => service.deploy(app, '2.0.0', { by: alice, skipVerify: true })));
    await Promise.all(['blog', 'www'].map((app) => untilAppState(kube, (s) => s.inFlight?.phase === 'switching', `${app} to switch`, 60_000, app)));
    await expect.poll(() => existsSync(join(fleet.nodes[1]!.dir, 'test-held')), { timeout: 30_000 }).toBe(true);
    await rm(join(fleet.nodes[1]!.dir, 'test-held'));
    const results = await Promise.all(deploys.map((d) => d.done));

    const phases = results.map((r) => r.record?.phase).sort();
    expect(phases).toEqual(['done', 'failed']);
    const failed = results.find((r) => r.record?.phase === 'failed')!.record!;
    expect(failed.error!.message).toMatch(/node-2: nginx -t failed/);

    await load.nextAnswers();
    const report = await load.stop();
    expect(report.connectionErrors + report.badStatus, report.samples.join('; ')).toBe(0);
    expect(report.bodies[`${failed.app} 2.0.0`], `no request was answered by ${failed.app} 2.0.0`).toBeUndefined();

    for (const app of ['blog', 'www']) {
      await untilLockFree(story.env, app);
      const { version } = await expectConsistent(story.env, { app });
      expect(version).toBe(app === failed.app ? '1.0.0' : '2.0.0');
    }
  }, 120_000);
});

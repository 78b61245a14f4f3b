import { existsSync } from 'node:fs';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createAgent } from '../../src/agent/create-agent.js';
import type { DeployEvent } from '../../src/deploy/deploy-event.js';
import { createLogger } from '../../src/log/logger.js';
import type { TestFleet, TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import { untilAppState } from '../support/app-state-in-store.js';
import { alice, bob, deployStories, type DeployStory } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedByAll, upstreamFile } from '../support/fleet.js';

const file = (node: TestNode, suffix = ''): string => join(node.dir, 'backends.d', `blog.conf${suffix}`);
const inode = async (path: string): Promise<number | undefined> => (await stat(path).catch(() => undefined))?.ino;
const stagedInodes = (fleet: TestFleet): Promise<Array<number | undefined>> => Promise.all(fleet.nodes.map((n) => inode(file(n, '.staged'))));
const liveInodes = (fleet: TestFleet): Promise<Array<number | undefined>> => Promise.all(fleet.nodes.map((n) => inode(file(n))));

/**
 * Waits (on the files, not a clock) until every node holds a staged file,
 * other than `not` where given, and the backup staging writes after it.
 */
async function untilStaged(fleet: TestFleet, not: Array<number | undefined> = []): Promise<number[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await stagedInodes(fleet);
    const backups = await Promise.all(fleet.nodes.map((n) => stat(file(n, '.switchyard-backup')).catch(() => undefined)));
    const staged = await Promise.all(fleet.nodes.map((n) => stat(file(n, '.staged')).catch(() => undefined)));
    const backedUp = backups.every((b, i) => b && staged[i] && b.ctimeMs >= staged[i].ctimeMs);
    if (backedUp && now.every((ino, i) => ino !== undefined && ino !== not[i])) return now as number[];
    if (Date.now() > deadline) throw new Error(`the switch was not staged on every node: ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Each node's nginx master and workers: a reload replaces the workers. */
const nginxWorkers = (fleet: TestFleet): Promise<string[]> =>
  Promise.all(fleet.nodes.map(async (n) => {
    const master = await fleet.nginxMaster(n);
    return `${master}: ${(await readFile(`/proc/${master}/task/${master}/children`, 'utf8')).trim()}`;
  }));

const warnings = (story: DeployStory): string[] => story.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

describeOnFleet('a deploy stages its switch while it waits for the promote, on three real nodes', () => {
  const stories = deployStories();

  it('stages on every node without touching traffic, and the promote commits exactly those files', async () => {
    // Given blue serving 1.0.0, and alice's deploy of 2.0.0 waiting for a promote,
    const story = await stories.given();
    const { fleet } = story.env;
    const lives = await Promise.all(fleet.nodes.map((n) => upstreamFile(n)));
    const workers = await nginxWorkers(fleet);
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');

    // when the runner has staged, every node holds the new file beside the live one, and nothing else moved.
    const staged = await untilStaged(fleet);
    for (const node of fleet.nodes) expect(await readFile(file(node, '.staged'), 'utf8')).toMatch(/30000 down;/);
    expect(await Promise.all(fleet.nodes.map((n) => upstreamFile(n)))).toEqual(lives);
    expect(await nginxWorkers(fleet)).toEqual(workers);
    expect(await servedByAll(fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);

    // Then bob's promote only commits: the live files are the staged ones, renamed in.
    await story.whenPromoted(bob);
    expect((await story.untilFinished()).phase).toBe('done');
    expect(await liveInodes(fleet)).toEqual(staged);
    expect(await stagedInodes(fleet)).toEqual([undefined, undefined, undefined]);
    expect(warnings(story)).toEqual([]);
    expect(await expectConsistent(story.env)).toMatchObject({ colour: 'green', version: '2.0.0' });
  });

  it('a live file edited by hand after staging: the promote prepares in full, says so, and the deploy goes on', async () => {
    const story = await stories.given();
    const { fleet } = story.env;
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    const staged = await untilStaged(fleet);
    const edited = fleet.nodes[0]!;
    await appendFile(file(edited), '# keepalive tuned by hand\n');

    await story.whenPromoted(bob);

    expect((await story.untilFinished()).phase).toBe('done');
    expect(warnings(story)).toEqual([expect.stringMatching(new RegExp(`^the files staged for the switch had changed, so it prepared in full: ${edited.name}: \\S+ changed since staging`))]);
    expect((await liveInodes(fleet))[0]).not.toBe(staged[0]);
    expect(await upstreamFile(edited)).toContain('# keepalive tuned by hand');
    expect(await servedByAll(fleet)).toEqual(['blog 2.0.0', 'blog 2.0.0', 'blog 2.0.0']);
  });

  it('an abort after staging removes the staged files with green, and traffic never moved', async () => {
    const story = await stories.given();
    const { fleet } = story.env;
    const lives = await Promise.all(fleet.nodes.map((n) => upstreamFile(n)));
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    await untilStaged(fleet);

    await story.whenAborted(bob);

    expect((await story.untilFinished()).phase).toBe('aborted');
    for (const node of fleet.nodes) expect(existsSync(file(node, '.staged'))).toBe(false);
    expect(await Promise.all(fleet.nodes.map((n) => upstreamFile(n)))).toEqual(lives);
    expect(await servedByAll(fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
    expect(story.replicaSet('green')).toBeUndefined();
  });

  it('an agent restarted during verification stages again, and its promote commits what it staged', async () => {
    const story = await stories.given();
    const { env } = story;
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    const first = await untilStaged(env.fleet);

    // The agent stops (its deploy stays recorded in verifying); a new one starts and resumes it.
    await story.agent.close();
    const events: DeployEvent[] = [];
    const agent = await createAgent(env.config, { log: createLogger({ level: 'silent' }), ec2: env.ec2Options, onEvent: (e) => events.push(e) });
    try {
      const [resumed] = await agent.service.resumeInFlight();
      expect(resumed).toMatchObject({ phase: 'verifying', how: 'continued' });
      const again = await untilStaged(env.fleet, first);

      await agent.service.promote('blog', bob);
      const after = await untilAppState(env.kube, (s) => s.inFlight === null, 'the promoted deploy to finish', 60_000);
      expect(after.history[0]).toMatchObject({ phase: 'done', promotedBy: bob });
      expect(await liveInodes(env.fleet)).toEqual(again);
      expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    } finally {
      await agent.close();
    }
  }, 120_000);
});

import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { SwitchyardError } from '../../src/errors/switchyard-error.js';
import type { FleetEvent } from '../../src/fleet/fleet-switch.js';
import { FleetSwitch } from '../../src/fleet/fleet-switch.js';
import { parseUpstream } from '../../src/fleet/upstream-file.js';
import { startLoad } from '../../src/sandbox/load/http-load.js';
import { blog, describeOnFleet, hookedTestCommand, servedByAll, upstreamFile, fleetPerTest } from '../support/fleet.js';

const www = { name: 'www', portBase: 30010 };

describeOnFleet('one switch per nginx at a time: two apps on the same nodes (docs/architecture.md, invariants 2, 11)', () => {
  const fleets = fleetPerTest();

  it('a switch of www waits for blog\'s armed nodes, so blog failing at commit never leaves a node serving blog\'s new colour', async () => {
    const t = await fleets.start({ size: 3, apps: [blog, www] }, { testHooks: true });
    const { fleet, pool } = t;
    const nginx = { ...fleet.nginxConfig, testCommand: hookedTestCommand(fleet) };
    const events: FleetEvent[] = [];
    const blogSwitch = new FleetSwitch({ pool, nginx });
    const wwwSwitch = new FleetSwitch({ pool, nginx, onEvent: (e) => events.push(e) });
    const load = startLoad(fleet.nodes.flatMap((n) => [blog, www].map((app) => ({ host: n.address, port: 80, hostHeader: app.name }))), { mode: 'close', perTarget: 1 });
    await load.nextAnswers();

    // blog arms on every node; node-2's nginx -t is slow, then fails: blog waits at its barrier.
    await writeFile(join(fleet.nodes[1]!.dir, 'test-hold-fail-once'), '');
    const blogFailed = blogSwitch.switchTo(fleet.nodes, blog, 'green').then(
      () => { throw new Error('blog\'s switch should have failed'); },
      (err: SwitchyardError) => err,
    );
    await expect.poll(() => fleet.nodes.every((n, i) => existsSync(join(n.dir, i === 1 ? 'test-held' : 'backends.d/blog.conf.switchyard-armed'))), { timeout: 30_000 }).toBe(true);

    // www's switch runs meanwhile. Its reload would load blog's armed green on every node:
    // it must wait for the node lock, and say so, until blog's switch let go.
    const wwwDone = wwwSwitch.switchTo(fleet.nodes, www, 'green');
    await Promise.race([wwwDone, expect.poll(() => events.some((e) => e.kind === 'node-lock-waiting'), { timeout: 30_000 }).toBe(true)]);
    await rm(join(fleet.nodes[1]!.dir, 'test-held'));

    const err = await blogFailed;
    expect(err.message).toMatch(/switching blog to green failed on node-2: nginx -t failed, backup restored .*no node had reloaded green; every node was put back on blue/);
    expect((await wwwDone).to).toBe('green');

    await load.nextAnswers();
    const report = await load.stop();
    expect(report.connectionErrors + report.badStatus, report.samples.join('; ')).toBe(0);
    expect(report.bodies['blog green'], 'no request was ever answered by blog green').toBeUndefined();
    expect(report.bodies['blog blue']).toBeGreaterThan(0);
    expect(report.bodies['www green']).toBeGreaterThan(0);

    // Files, nginx and traffic agree: blog on blue, www on green, on every node.
    expect(await servedByAll(fleet, 'blog')).toEqual(['blog blue', 'blog blue', 'blog blue']);
    expect(await servedByAll(fleet, 'www')).toEqual(['www green', 'www green', 'www green']);
    for (const node of fleet.nodes) {
      expect(parseUpstream(await upstreamFile(node, 'blog'), blog, node.name).live).toBe('blue');
      expect(parseUpstream(await upstreamFile(node, 'www'), www, node.name).live).toBe('green');
      expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.switchyard-armed'))).toBe(false);
      await fleet.inNode(node, 'sh', ['-c', fleet.nginxConfig.testCommand]);
    }
    // The first node in lock order is where www waited, naming who held it.
    expect(events.find((e) => e.kind === 'node-lock-waiting')).toMatchObject({ node: 'node-1', holder: expect.stringMatching(/^blog\.conf \(pid \d+\)$/) });
  }, 120_000);
});

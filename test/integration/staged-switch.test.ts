import { existsSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { renderUpstream } from '../../src/fleet/upstream-file.js';
import type { TestFleet, TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import { blog, describeOnFleet, servedByAll, upstreamFile, fleetPerTest } from '../support/fleet.js';

const file = (node: TestNode, suffix = ''): string => join(node.dir, 'backends.d', `blog.conf${suffix}`);

/** What each node's nginx runs: its master and that master's workers (a reload replaces the workers). */
async function nginxWorkers(fleet: TestFleet): Promise<string[]> {
  return Promise.all(fleet.nodes.map(async (n) => {
    const master = await fleet.nginxMaster(n);
    return `${master}: ${(await readFile(`/proc/${master}/task/${master}/children`, 'utf8')).trim()}`;
  }));
}

describeOnFleet('a switch staged ahead (during verification) and committed on promote, on real nodes', () => {
  const fleets = fleetPerTest();

  it('staging changes no traffic; the commit renames the very files staged in, after checking them, and leaves none behind', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    const lives = await Promise.all(fleet.nodes.map((n) => upstreamFile(n)));
    const workers = await nginxWorkers(fleet);

    const staged = await switcher.stage(fleet.nodes, blog, 'green', { from: 'blue' });

    // Staged beside the live file on every node, which nginx neither loads nor runs.
    expect(staged.nodes.map((n) => n.live)).toEqual(['blue', 'blue', 'blue']);
    for (const node of fleet.nodes) expect(await readFile(file(node, '.staged'), 'utf8')).toContain('down');
    expect(await Promise.all(fleet.nodes.map((n) => upstreamFile(n)))).toEqual(lives);
    expect(await nginxWorkers(fleet)).toEqual(workers);
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    const stagedInodes = await Promise.all(fleet.nodes.map(async (n) => (await stat(file(n, '.staged'))).ino));

    const result = await switcher.switchTo(fleet.nodes, blog, 'green', { from: 'blue', staged });

    expect(result.staging).toEqual({ used: true });
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green', 'blog green']);
    // The live files are the staged ones, renamed in: nothing was prepared again.
    expect(await Promise.all(fleet.nodes.map(async (n) => (await stat(file(n))).ino))).toEqual(stagedInodes);
    for (const node of fleet.nodes) expect(existsSync(file(node, '.staged'))).toBe(false);
  });

  it('a live file edited by hand after staging (same colour): the switch prepares again in full, says why, and switches', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    const staged = await switcher.stage(fleet.nodes, blog, 'green', { from: 'blue' });
    const edited = fleet.nodes[1]!;
    await appendFile(file(edited), '# tuned by hand\n');

    const result = await switcher.switchTo(fleet.nodes, blog, 'green', { from: 'blue', staged });

    expect(result.staging).toEqual({ used: false, why: expect.stringContaining(`${edited.name}: ${fleet.nginxConfig.backendsDir}/blog.conf changed since staging`) });
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green', 'blog green']);
    // The full prepare read the edited file: the hand edit survives the switch.
    expect(await upstreamFile(edited)).toContain('# tuned by hand');
  });

  it('a node set to the other colour by hand after staging: the full prepare refuses it as drift, changing nothing', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    const staged = await switcher.stage(fleet.nodes, blog, 'green', { from: 'blue' });
    const drifted = fleet.nodes[2]!;
    await writeFile(file(drifted), renderUpstream(await upstreamFile(drifted), blog, 'green', 'hand edit'));
    await fleet.inNode(drifted, 'sh', ['-c', fleet.nginxConfig.reloadCommand]);
    // The drifted node's own reload is still handing over: only the others' workers are compared.
    const workers = (await nginxWorkers(fleet)).slice(0, 2);

    const err = (await switcher.switchTo(fleet.nodes, blog, 'green', { from: 'blue', staged }).catch((e: unknown) => e)) as SwitchyardError;

    expect(err).toMatchObject({ code: 'fleet-disagrees', message: expect.stringContaining(`green on ${drifted.name}`) });
    expect((await nginxWorkers(fleet)).slice(0, 2)).toEqual(workers);
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog green']);
  });

  it('a staged file replaced after staging (another run staged something else) is not committed', async () => {
    const t = await fleets.start({ size: 2 });
    const { fleet, switcher } = t;
    const staged = await switcher.stage(fleet.nodes, blog, 'green', { from: 'blue' });
    await writeFile(file(fleet.nodes[0]!, '.staged'), await upstreamFile(fleet.nodes[0]!));

    const result = await switcher.switchTo(fleet.nodes, blog, 'green', { from: 'blue', staged });

    expect(result.staging).toEqual({ used: false, why: expect.stringContaining('is not the file staged') });
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green']);
  });

  it('unstage removes the staged files and touches nothing else', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    const lives = await Promise.all(fleet.nodes.map((n) => upstreamFile(n)));
    await switcher.stage(fleet.nodes, blog, 'green', { from: 'blue' });
    const workers = await nginxWorkers(fleet);

    await switcher.unstage(fleet.nodes, blog);

    for (const node of fleet.nodes) expect(existsSync(file(node, '.staged'))).toBe(false);
    expect(await Promise.all(fleet.nodes.map((n) => upstreamFile(n)))).toEqual(lives);
    expect(await nginxWorkers(fleet)).toEqual(workers);
  });
});

describeOnFleet('a staged switch through a non-root login with the narrow sudoers rule', () => {
  const fleets = fleetPerTest();

  it('stages and commits the staged files as the deploy user', async () => {
    const t = await fleets.start({ size: 2, login: 'deploy' });
    const { fleet, switcher } = t;
    const staged = await switcher.stage(fleet.nodes, blog, 'green', { from: 'blue' });
    const result = await switcher.switchTo(fleet.nodes, blog, 'green', { from: 'blue', staged });
    expect(result.staging).toEqual({ used: true });
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green']);
  });
}, { login: 'deploy' });

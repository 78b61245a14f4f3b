import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseUpstream } from '../../src/fleet/upstream-file.js';
import { blog, describeOnFleet, servedByAll, upstreamFile, failure, fleetPerTest } from '../support/fleet.js';


const fenceOf = (dir: string): Promise<string> => readFile(join(dir, 'backends.d', 'blog.conf.fence'), 'utf8');

describeOnFleet('node commits are fenced by the app lock\'s token (docs/architecture.md, invariant 12)', () => {
  const fleets = fleetPerTest();

  it('each node keeps the highest fence it committed under and refuses a lower one, changing nothing anywhere', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    await switcher.switchTo(fleet.nodes, blog, 'green', { fence: 5 });
    for (const node of fleet.nodes) expect(await fenceOf(node.dir)).toBe('5\n');

    // A runner that held the lock under fence 4 wakes after the holder of fence 5 committed.
    const stale = await failure(switcher.switchTo(fleet.nodes, blog, 'blue', { fence: 4 }));
    expect(stale.code).toBe('lock-held');
    expect(stale.message).toMatch(/^switching blog to blue failed on node-1: refused the commit, nothing changed: this run holds the app's lock under fence 4, but a commit under fence 5 \(a newer holder of the lock\) already ran here \(.*blog\.conf\.fence\)/);
    expect(stale.hint).toMatch(/another holder of blog's lock has committed since this run took it: this run stops/);
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green', 'blog green']);
    for (const node of fleet.nodes) {
      expect(parseUpstream(await upstreamFile(node), blog, node.name).live).toBe('green');
      expect(await fenceOf(node.dir)).toBe('5\n');
      expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.staged'))).toBe(false);
    }

    // The same holder (a resume) and a newer one commit.
    await switcher.switchTo(fleet.nodes, blog, 'blue', { fence: 5 });
    await switcher.switchTo(fleet.nodes, blog, 'green', { fence: 6 });
    for (const node of fleet.nodes) expect(await fenceOf(node.dir)).toBe('6\n');
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green', 'blog green']);
  });

  it('one node that saw a newer holder stops the whole switch, naming that node; the others are put back', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    await writeFile(join(fleet.nodes[2]!.dir, 'backends.d', 'blog.conf.fence'), '9\n');
    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green', { fence: 8 }));
    expect(err.code).toBe('lock-held');
    expect(err.message).toMatch(/^switching blog to green failed on node-3: refused the commit, nothing changed: .*fence 8, but a commit under fence 9/);
    expect(err.message).toContain('no node had reloaded green; every node was put back on blue');
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    for (const node of fleet.nodes) expect(parseUpstream(await upstreamFile(node), blog, node.name).live).toBe('blue');
  });
});

import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeOnFleet, fleetPerTest } from '../support/fleet.js';

const DAY = 86_400;
const old = (days: number) => new Date(Date.parse('2024-01-01T00:00:00Z') + days * DAY * 1000);

describeOnFleet('release clean-up on a real node: only ever the releases folder\'s own old subfolders', () => {
  const fleets = fleetPerTest();
  let topLevel: string | undefined;
  afterEach(async () => {
    if (topLevel) await rm(topLevel, { recursive: true, force: true });
    topLevel = undefined;
  });

  it('keeps the newest, and never follows a symlink, enters a mount, or touches a file or an odd name', async () => {
    const t = await fleets.start({ size: 1 });
    const { fleet, switcher } = t;
    const node = fleet.nodes[0]!;
    // On the host the node's folder is node.dir; on the node (over SSH) it is fleet.mount.
    const releases = join(node.dir, 'releases');
    for (const [name, days] of [['r1', 1], ['r2', 2], ['r3', 3], ['r4', 4], ['r0 old', 0], ['.cache', 0]] as const) {
      await mkdir(join(releases, name, 'app'), { recursive: true });
      await utimes(join(releases, name), old(days), old(days));
    }
    await mkdir(join(node.dir, 'shared', 'uploads'), { recursive: true });
    await writeFile(join(node.dir, 'shared', 'uploads', 'photo.jpg'), 'keep me');
    await symlink(`${fleet.mount}/shared`, join(releases, 'current'));
    await writeFile(join(releases, 'notes.txt'), 'keep me');
    await utimes(join(releases, 'notes.txt'), old(0), old(0));
    // A mount point among the releases (old, plainly named): another file system, never emptied.
    await mkdir(join(releases, 'r0'));
    await fleet.inNode(node, 'mount', ['-t', 'tmpfs', 'tmpfs', `${fleet.mount}/releases/r0`]);
    await fleet.inNode(node, 'sh', ['-c', `echo data > "${fleet.mount}/releases/r0/volume.txt" && touch -d 2024-01-01 "${fleet.mount}/releases/r0"`]);

    const [report] = await switcher.afterSwitch(fleet.nodes, { name: 'blog', releasesDir: `${fleet.mount}/releases`, keepReleases: 2 });
    expect(report).toMatchObject({ ok: true });
    expect(report!.removed.sort()).toEqual([`${fleet.mount}/releases/r1`, `${fleet.mount}/releases/r2`]);
    expect((await readdir(releases)).sort()).toEqual(['.cache', 'current', 'notes.txt', 'r0', 'r0 old', 'r3', 'r4']);
    expect(existsSync(join(node.dir, 'shared', 'uploads', 'photo.jpg'))).toBe(true);
    expect(await fleet.inNode(node, 'cat', [`${fleet.mount}/releases/r0/volume.txt`])).toBe('data\n');
  });

  it('follows a releasesDir that is itself a symlink, but refuses one that leads near the root', async () => {
    const t = await fleets.start({ size: 1 });
    const { fleet, switcher } = t;
    const node = fleet.nodes[0]!;
    const releases = join(node.dir, 'releases');
    for (const [name, days] of [['a', 1], ['b', 2]] as const) {
      await mkdir(join(releases, name));
      await utimes(join(releases, name), old(days), old(days));
    }
    await symlink(`${fleet.mount}/releases`, join(node.dir, 'blog-releases'));
    const [through] = await switcher.afterSwitch(fleet.nodes, { name: 'blog', releasesDir: `${fleet.mount}/blog-releases`, keepReleases: 1 });
    expect(through).toMatchObject({ ok: true, removed: [`${fleet.mount}/blog-releases/a`] });
    expect(await readdir(releases)).toEqual(['b']);

    // A folder one level below / (made for this test, so nothing else is at stake if the check failed).
    topLevel = `/switchyard-test-${process.pid}-${Date.now().toString(36)}`;
    await mkdir(join(topLevel, 'r1'), { recursive: true });
    await utimes(join(topLevel, 'r1'), old(0), old(0));
    await mkdir(join(topLevel, 'r2'));
    await symlink(topLevel, join(node.dir, 'evil'));
    const [refused] = await switcher.afterSwitch(fleet.nodes, { name: 'blog', releasesDir: `${fleet.mount}/evil`, keepReleases: 1 });
    expect(refused).toMatchObject({ ok: false, removed: [] });
    expect(refused!.error).toBe(`release clean-up in ${fleet.mount}/evil exited 4: refusing to clean ${fleet.mount}/evil: it resolves to ${topLevel}, fewer than two levels below /`);
    expect((await readdir(topLevel)).sort()).toEqual(['r1', 'r2']);
  });
});

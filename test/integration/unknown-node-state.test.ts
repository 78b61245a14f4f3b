import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { FleetSwitch } from '../../src/fleet/fleet-switch.js';
import { parseUpstream } from '../../src/fleet/upstream-file.js';
import { blog, describeOnFleet, servedByAll, upstreamFile, failure, fleetPerTest } from '../support/fleet.js';


describeOnFleet('a node whose state cannot be told is unknown, never a guess (docs/architecture.md, invariants 2, 11)', () => {
  const fleets = fleetPerTest();

  it('a drain that cannot be told (no pid file, no SSH) is reported with its cause, never as drained', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    const result = await switcher.switchTo(fleet.nodes, blog, 'green');
    const pidFile = join(fleet.nodes[0]!.dir, 'nginx.pid');
    await rename(pidFile, `${pidFile}.away`);
    await fleet.stopSshd(fleet.nodes[1]!);

    const drains = await switcher.waitDrained(fleet.nodes, result, new Date(Date.now() + 20_000));
    expect(drains.map((d) => [d.node, d.drained])).toEqual([['node-1', false], ['node-2', false], ['node-3', true]]);
    expect(drains[0]!.error).toBe(`cannot tell whether the old nginx workers drained: cannot read nginx's pid file ${fleet.mount}/nginx.pid`);
    expect(drains[1]!.error).toMatch(/SSH connection lost|cannot connect over SSH: connection refused/);
    expect(drains[2]!.error).toBeUndefined();

    // Asked again once the pid file is back, node-1 is told for what it is.
    await rename(`${pidFile}.away`, pidFile);
    const again = await switcher.waitDrained([fleet.nodes[0]!], result, new Date(Date.now() + 20_000));
    expect(again[0]).toMatchObject({ node: 'node-1', drained: true });
    expect(again[0]!.error).toBeUndefined();
  });

  it('a commit that exits 0 with a report that cannot be read counts as maybe reloaded: it is put back with the others', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, pool } = t;
    // node-2's reload really happens, then (once) a line no commit writes reaches its report.
    const marker = `${fleet.mount}/garble-report`;
    const nginx = {
      ...fleet.nginxConfig,
      reloadCommand: `${fleet.nginxConfig.reloadCommand} && if [ -e ${marker} ]; then rm ${marker}; for p in $PPID $(ps -o ppid= $PPID); do echo "@reload-start not-a-time" > /proc/$p/fd/1 2>/dev/null; done; fi`,
    };
    await writeFile(join(fleet.nodes[1]!.dir, 'garble-report'), '');
    const err = await failure(new FleetSwitch({ pool, nginx }).switchTo(fleet.nodes, blog, 'green'));
    expect(err.code).toBe('switch-commit-failed');
    expect(err.message).toMatch(/failed on node-2: state unknown: it exited 0 but its report cannot be read \(Cannot convert not-a-time to a BigInt\)/);
    expect(err.message, err.message).toContain('3 node(s) that had reloaded put back on blue');
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    for (const n of fleet.nodes) expect(parseUpstream(await upstreamFile(n), blog, n.name).live).toBe('blue');
  });
});

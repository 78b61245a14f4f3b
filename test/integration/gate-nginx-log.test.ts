import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readNginxGate } from '../../src/gate/read-nginx-gate.js';
import type { TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import { type FleetUnderTest, blog, describeOnFleet, startFleet } from '../support/fleet.js';

/** GET / through a node's nginx, `n` times, one connection each. */
async function requests(node: TestNode, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      request({ host: node.address, port: 80, path: '/', agent: false, headers: { host: 'blog' } }, (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end();
    });
  }
}

for (const login of ['root', 'deploy'] as const) {
  describeOnFleet(`the gate reads every node's own nginx log over SSH, logged in as ${login}`, () => {
    let t: FleetUnderTest;
    beforeAll(async () => {
      t = await startFleet({ size: 3, login });
    });
    afterAll(() => t?.close());

    it('counts what each node sent to the new colour since the switch, and reads boundedly', async () => {
      const { fleet, pool, switcher } = t;
      await Promise.all(fleet.nodes.map((n) => requests(n, 5))); // blue's, before the switch
      await switcher.switchTo(fleet.nodes, blog, 'green');
      const since = new Date();
      await Promise.all(fleet.nodes.map((n, i) => requests(n, 10 + i)));
      const options = { log: fleet.accessLog('blog'), port: 30001, since, readBytes: 1024 * 1024, now: new Date() };

      const reading = await readNginxGate(pool, fleet.nodes, options);
      expect(reading).toMatchObject({ kind: 'figures', figures: { source: 'nginx', requests: 33, errors: 0, errorRatio: 0 } });
      if (reading.kind !== 'figures') return;
      expect(reading.figures.nodes?.map((n) => [n.node, n.requests])).toEqual([['node-1', 10], ['node-2', 11], ['node-3', 12]]);
      expect(reading.figures.p95Ms).toBeGreaterThanOrEqual(0);
      // Blue's requests before the switch are not the new colour's.
      expect(await readNginxGate(pool, fleet.nodes, { ...options, port: 30000, since: new Date(0) })).toMatchObject({ figures: { requests: 15 } });

      // Only the log's end is read: 4 KiB holds fewer lines than were written.
      await Promise.all(fleet.nodes.map((n) => requests(n, 100)));
      const tail = await readNginxGate(pool, fleet.nodes, { ...options, readBytes: 4096 });
      if (tail.kind !== 'figures') throw new Error(tail.kind);
      for (const n of tail.figures.nodes!) {
        expect(n.requests).toBeGreaterThan(40);
        expect(n.requests).toBeLessThan(100);
      }
    });

    it('a log it cannot read makes the reading unreadable, naming the node', async () => {
      const { fleet, pool } = t;
      const reading = await readNginxGate(pool, fleet.nodes, { log: `${fleet.mount}/logs/missing.log`, port: 30001, since: new Date(), readBytes: 4096, now: new Date() });
      expect(reading.kind).toBe('unreadable');
      if (reading.kind === 'unreadable') expect(reading.message).toMatch(/node-1: cannot read .*missing\.log.*node-3/);
    });
  }, { login });
}

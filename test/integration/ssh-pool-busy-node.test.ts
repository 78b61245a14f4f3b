import { afterEach, expect, it } from 'vitest';
import { SshPool } from '../../src/fleet/ssh-pool.js';
import { TestFleet } from '../../src/sandbox/fleet/test-fleet.js';
import { describeOnFleet } from '../support/fleet.js';

describeOnFleet('SSH pool: many commands at once on one node\'s connection', () => {
  let fleet: TestFleet | undefined;
  let pool: SshPool | undefined;
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  afterEach(async () => {
    process.off('warning', onWarning);
    await pool?.close();
    await fleet?.close();
    [pool, fleet] = [undefined, undefined];
  });

  it('runs as many as sshd allows sessions (several apps deploying to one node) without Node warning of a listener leak', async () => {
    fleet = await TestFleet.start({ size: 1 });
    pool = await SshPool.fromConfig({ ...fleet.sshConfig, concurrency: 20 });
    const node = fleet.nodes[0]!;
    await pool.connect(node);
    process.on('warning', onWarning);
    // sshd's MaxSessions is 10 by default: at most that many channels on one connection.
    const outputs = await pool.forEach(Array.from({ length: 10 }, (_, i) => i), (i) => pool!.exec(node, 'sleep 0.3; echo "$1"', [String(i)]));
    expect(outputs.map((o) => (o.status === 'fulfilled' ? o.value.stdout : String(o.reason)))).toEqual(Array.from({ length: 10 }, (_, i) => `${i}\n`));
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { SshPool } from '../../src/fleet/ssh-pool.js';
import { TestFleet } from '../../src/sandbox/fleet/test-fleet.js';
import { describeOnFleet, failure } from '../support/fleet.js';

interface Logged {
  msg: string;
  node?: string;
  err?: { message: string };
}

describeOnFleet('SSH pool: a kept connection whose node stops answering', () => {
  let fleet: TestFleet | undefined;
  let pool: SshPool | undefined;
  afterEach(async () => {
    await pool?.close();
    await fleet?.close();
    [pool, fleet] = [undefined, undefined];
  });

  /** One node, and a pool that sends a keepalive every 500 ms (given up after three unanswered), logging to `logged`. */
  async function start(): Promise<{ fleet: TestFleet; pool: SshPool; logged: Logged[] }> {
    fleet = await TestFleet.start({ size: 1 });
    const logged: Logged[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Logged) });
    pool = await SshPool.fromConfig({ ...fleet.sshConfig, keepaliveSeconds: 0.5 }, { log });
    return { fleet, pool, logged };
  }

  it('an idle connection that fails its keepalive is logged and forgotten, never thrown; the next command dials again', async () => {
    const { fleet, pool, logged } = await start();
    const node = fleet.nodes[0]!;
    expect((await pool.exec(node, 'echo up', [])).stdout).toBe('up\n');
    const kept = await pool.connect(node);

    // The node vanishes: its sshd never answers, and nothing closes the TCP
    // connection. The keepalive's error, were it thrown, would fail this run
    // as an uncaught exception (and end `switchyard serve`).
    await fleet.setLink(node, 'down');
    for (let waited = 0; logged.length === 0; waited += 20) {
      if (waited > 20_000) throw new Error('the pool never logged the lost connection');
      await sleep(20);
    }
    expect(logged).toEqual([
      expect.objectContaining({ node: 'node-1', msg: 'SSH connection lost; the next command to the node dials again', err: expect.objectContaining({ message: 'Keepalive timeout' }) }),
    ]);

    await fleet.setLink(node, 'up');
    expect((await pool.exec(node, 'echo again', [])).stdout).toBe('again\n');
    expect(await pool.connect(node)).not.toBe(kept);
  });

  it('a command running when its connection fails the keepalive rejects as ssh-connect-failed, naming the node', async () => {
    const { fleet, pool } = await start();
    const node = fleet.nodes[0]!;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const command = failure(pool.exec(node, 'echo started; sleep 120', [], { onStdout: () => started(), timeoutMs: 600_000 }));
    await running;

    await fleet.setLink(node, 'down');
    const err = await command;
    expect(err.code).toBe('ssh-connect-failed');
    expect(err.message).toBe(`node-1 (${node.address}:22): SSH connection lost (Keepalive timeout)`);
    expect(err.hint).toBe('check that the node and its sshd are up; then try again');
  });
});

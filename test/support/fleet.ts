import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import type { NginxConfig } from '../../src/config/schema.js';
import type { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { FleetSwitch } from '../../src/fleet/fleet-switch.js';
import { SshPool } from '../../src/fleet/ssh-pool.js';
import { TestFleet, type TestFleetOptions, type TestNode, testFleetUnsupported } from '../../src/sandbox/fleet/test-fleet.js';

export const blog = { name: 'blog', portBase: 30000 };

/**
 * A describe block that needs real nodes (root, network namespaces, nginx,
 * sshd). Where those are missing it is skipped with the reason, except in CI
 * (CI=true), where it fails instead, so a CI machine without them cannot pass
 * by running nothing.
 */
export function describeOnFleet(name: string, body: () => void, options: Pick<TestFleetOptions, 'login'> = {}): void {
  const reason = testFleetUnsupported(options);
  if (!reason) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => it('has what real test nodes need', () => {
      throw new Error(`cannot run on real nodes: ${reason}`);
    }));
  } else {
    describe.skip(`${name} (skipped: ${reason})`, body);
  }
}

export interface FleetUnderTest {
  fleet: TestFleet;
  pool: SshPool;
  switcher: FleetSwitch;
  close(): Promise<void>;
}

/**
 * The fleet's nginx test command with hooks a test drives through files in
 * a node's folder: `test-hold` (wait while it exists), `test-slow` (first
 * sleep as many seconds as it says), `test-fail` (fail as a broken config
 * would), `test-hold-fail-once` (the next test only: renames it to
 * `test-held`, waits while that exists, then fails). Every node sees its own
 * folder at the fleet's mount, so a hook acts on the node whose folder holds it.
 */
export function hookedTestCommand(fleet: TestFleet): string {
  const m = fleet.mount;
  return `if mv ${m}/test-hold-fail-once ${m}/test-held 2>/dev/null; then ` +
    `while [ -e ${m}/test-held ]; do sleep 0.05; done; echo "nginx: [emerg] failed on purpose (test-hold-fail-once)" >&2; exit 1; fi; ` +
    `while [ -e ${m}/test-hold ]; do sleep 0.05; done; ` +
    `[ ! -e ${m}/test-slow ] || sleep "$(cat ${m}/test-slow)"; ` +
    `if [ -e ${m}/test-fail ]; then echo "nginx: [emerg] failed on purpose (test-fail)" >&2; exit 1; fi; ` +
    fleet.nginxConfig.testCommand;
}

export async function startFleet(
  options: TestFleetOptions,
  nginx: { reloadConfirmSeconds?: number; testHooks?: boolean } = {},
): Promise<FleetUnderTest> {
  const fleet = await TestFleet.start(options);
  const pool = await SshPool.fromConfig(fleet.sshConfig);
  const { testHooks, ...overrides } = nginx;
  const switcher = new FleetSwitch({ pool, nginx: { ...fleet.nginxConfig, ...(testHooks ? { testCommand: hookedTestCommand(fleet) } : {}), ...overrides } satisfies NginxConfig });
  return {
    fleet,
    pool,
    switcher,
    async close() {
      await pool.close();
      await fleet.close();
    },
  };
}

/**
 * Fleets for the tests of a describe block: `start` as startFleet, each
 * closed after its test; `current` is the running test's.
 *
 * @example
 * const fleets = fleetPerTest();
 * it('…', async () => {
 *   const { fleet, switcher } = await fleets.start({ size: 3 });
 * });
 */
export function fleetPerTest(): { start: typeof startFleet; readonly current: FleetUnderTest } {
  let open: FleetUnderTest | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  return {
    async start(options, nginx) {
      open = await startFleet(options, nginx);
      return open;
    },
    get current() {
      if (!open) throw new Error('no fleet started in this test');
      return open;
    },
  };
}

/**
 * Asks a node's nginx which colour answers, on a new connection (fetch would
 * reuse a kept-alive one, which an old worker may still be serving).
 */
export function servedBy(_fleet: TestFleet, node: TestNode, host = 'blog'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: node.address, port: 80, path: '/', agent: false, headers: { host }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
        if (res.statusCode === 200) resolve(body.trim());
        else reject(new Error(`${node.name} answered ${res.statusCode}: ${body.trim()}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${node.name} did not answer within 5 s`))).on('error', reject).end();
  });
}

export async function servedByAll(fleet: TestFleet, host = 'blog'): Promise<string[]> {
  return Promise.all(fleet.nodes.map((n) => servedBy(fleet, n, host)));
}

export const upstreamFile = (node: TestNode, app = 'blog'): Promise<string> => readFile(join(node.dir, 'backends.d', `${app}.conf`), 'utf8');

/** The error a switch (or any call) rejects with; fails the test when it resolves. */
export async function failure(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (err) {
    return err as SwitchyardError;
  }
  throw new Error('expected the switch to fail');
}

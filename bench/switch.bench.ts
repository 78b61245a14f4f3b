/**
 * `switch`: flipping N real nodes with connections already open, against a
 * fabric-style baseline in the same run: per node (20 at a time) a new SSH
 * connection, then two `sed -i` commands and the reload, one after another.
 */
import pLimit from 'p-limit';
import { FleetSwitch } from '../src/fleet/fleet-switch.js';
import { SshPool } from '../src/fleet/ssh-pool.js';
import { TestFleet } from '../src/sandbox/fleet/test-fleet.js';
import type { Colour } from '../src/validate/patterns.js';
import { median, round } from './figures.js';

const SIZES = [3, 10, 30];
const ROUNDS = 3;
const app = { name: 'blog', portBase: 30000 };

export default async function* switchBench(): AsyncGenerator<{ name: string } & Record<string, unknown>> {
  for (const size of SIZES) {
    const fleet = await TestFleet.start({ size });
    try {
      const pool = await SshPool.fromConfig(fleet.sshConfig);
      const switcher = new FleetSwitch({ pool, nginx: fleet.nginxConfig });
      await switcher.readLive(fleet.nodes, app); // open the connections, as a deploy has by then
      const ours = { prepare: [] as number[], commit: [] as number[], mixed: [] as number[], settled: [] as number[], perNode: [] as number[] };
      const baseline = { total: [] as number[], mixed: [] as number[] };
      let live: Colour = 'blue';
      for (let i = 0; i < ROUNDS; i++) {
        live = live === 'blue' ? 'green' : 'blue';
        const r = await switcher.switchTo(fleet.nodes, app, live);
        ours.prepare.push(r.prepareMs);
        ours.commit.push(r.commitMs);
        ours.mixed.push(r.mixedWindowMs);
        ours.settled.push(r.settledMs);
        ours.perNode.push(median(r.nodes.map((n) => n.commitMs)));
        live = live === 'blue' ? 'green' : 'blue';
        const b = await fabricStyleSwitch(fleet, live);
        baseline.total.push(b.totalMs);
        baseline.mixed.push(b.mixedWindowMs);
      }
      await pool.close();
      yield {
        name: 'switch',
        nodes: size,
        rounds: ROUNDS,
        prepareMs: round(median(ours.prepare)),
        commitMs: round(median(ours.commit)),
        mixedWindowMs: round(median(ours.mixed)),
        settledMs: round(median(ours.settled)),
        // One node's commit (arm, barrier, reload, confirmed hand-over): what the phase costs when nodes do not share CPUs.
        nodeCommitMs: round(median(ours.perNode)),
        baselineMs: round(median(baseline.total)),
        baselineMixedWindowMs: round(median(baseline.mixed)),
      };
    } finally {
      await fleet.close();
    }
  }
}

/**
 * What a classic deploy script does. The reload is wrapped in remote
 * timestamps only to measure the mixed window, from the first node's reload
 * to the last one's, as for ours.
 */
async function fabricStyleSwitch(fleet: TestFleet, to: Colour): Promise<{ totalMs: number; mixedWindowMs: number }> {
  const limit = pLimit(20);
  const file = `${fleet.nginxConfig.backendsDir}/blog.conf`;
  const markDown = to === 'green' ? 's/0;/0 down;/g' : 's/1;/1 down;/g';
  const started = performance.now();
  const reloads: number[] = [];
  const settled = await Promise.allSettled(fleet.nodes.map((node) => limit(async () => {
    // A new connection per host, closed when the host's task ends, as fabric does.
    const pool = await SshPool.fromConfig(fleet.sshConfig);
    await pool.connect(node);
    await must(pool.exec(node, `sed -i -r -e 's/ down;/;/g' "$1"`, [file]));
    await must(pool.exec(node, 'sed -i -r -e "$2" "$1"', [file, markDown]));
    const res = await must(pool.exec(node, 'date +%s%N; sh -c "$1"', [fleet.nginxConfig.reloadCommand]));
    reloads.push(Number(BigInt(res.stdout.trim().split('\n')[0]!) / 1_000_000n));
    await pool.close();
  })));
  const totalMs = performance.now() - started;
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const mixedWindowMs = Math.max(...reloads) - Math.min(...reloads);
  return { totalMs, mixedWindowMs };
}

async function must<T extends { code: number; stderr: string }>(p: Promise<T>): Promise<T> {
  const res = await p;
  if (res.code !== 0) throw new Error(`baseline command failed: ${res.stderr}`);
  return res;
}

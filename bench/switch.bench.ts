/**
 * `switch`: flipping N real nodes with connections already open, against two
 * baselines in the same run:
 * - fabric-style: per node (20 at a time) a new SSH connection, then two
 *   `sed -i` commands and the reload, one after another;
 * - strong script: the best a careful shell script does: first, on every
 *   node in parallel, the new file is written beside the live one; then, on
 *   every node at once over fresh parallel SSH connections, it is renamed in,
 *   tested and nginx reloaded.
 * `promoteMs` is what a promote costs once the deploy has staged during its
 * verification: FleetSwitch.switchTo handed the staged prepare (the check
 * that every node still holds what staging left, then the commit), measured
 * at the fleet switch, not through the runner and the state store.
 */
import pLimit from 'p-limit';
import { FleetSwitch } from '../src/fleet/fleet-switch.js';
import { SshPool } from '../src/fleet/ssh-pool.js';
import { TestFleet } from '../src/sandbox/fleet/test-fleet.js';
import type { Colour } from '../src/validate/patterns.js';
import { machineBusyMs, median, round } from './figures.js';

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
      const ours = { prepare: [] as number[], commit: [] as number[], total: [] as number[], mixed: [] as number[], settled: [] as number[], perNode: [] as number[] };
      const promote = { ms: [] as number[], mixed: [] as number[], cpu: [] as number[] };
      const fabric = { total: [] as number[], mixed: [] as number[], cpu: [] as number[] };
      const strong = { total: [] as number[], mixed: [] as number[] };
      let live: Colour = 'blue';
      const flip = (): Colour => (live = live === 'blue' ? 'green' : 'blue');
      for (let i = 0; i < ROUNDS; i++) {
        const from = live;
        const r = await switcher.switchTo(fleet.nodes, app, flip(), { from });
        ours.prepare.push(r.prepareMs);
        ours.commit.push(r.commitMs);
        ours.total.push(r.prepareMs + r.commitMs);
        ours.mixed.push(r.mixedWindowMs);
        ours.settled.push(r.settledMs);
        ours.perNode.push(median(r.nodes.map((n) => n.commitMs)));

        const before = live;
        const staged = await switcher.stage(fleet.nodes, app, flip(), { from: before });
        const started = performance.now();
        const busy = await machineBusyMs();
        const p = await switcher.switchTo(fleet.nodes, app, live, { from: before, staged });
        promote.ms.push(performance.now() - started);
        promote.cpu.push((await machineBusyMs()) - busy);
        promote.mixed.push(p.mixedWindowMs);
        if (!p.staging?.used) throw new Error(`the promote did not use its staged prepare: ${JSON.stringify(p.staging)}`);

        const fabricBusy = await machineBusyMs();
        const f = await fabricStyleSwitch(fleet, flip());
        fabric.cpu.push((await machineBusyMs()) - fabricBusy);
        fabric.total.push(f.totalMs);
        fabric.mixed.push(f.mixedWindowMs);
        const s = await strongScriptSwitch(fleet, flip());
        strong.total.push(s.totalMs);
        strong.mixed.push(s.mixedWindowMs);
      }
      await pool.close();
      const mixed = median(ours.mixed);
      const promoteMs = median(promote.ms);
      yield {
        name: 'switch',
        nodes: size,
        rounds: ROUNDS,
        prepareMs: round(median(ours.prepare)),
        commitMs: round(median(ours.commit)),
        totalMs: round(median(ours.total)),
        mixedWindowMs: round(mixed),
        settledMs: round(median(ours.settled)),
        // One node's commit (arm, barrier, reload, confirmed hand-over): what the phase costs when nodes do not share CPUs.
        nodeCommitMs: round(median(ours.perNode)),
        // Promote → every node confirmed, with the prepare staged during verification (check + commit).
        promoteMs: round(promoteMs),
        promoteMixedWindowMs: round(median(promote.mixed)),
        promoteCpuMs: round(median(promote.cpu)),
        baselineMs: round(median(fabric.total)),
        baselineMixedWindowMs: round(median(fabric.mixed)),
        baselineCpuMs: round(median(fabric.cpu)),
        strongMs: round(median(strong.total)),
        strongMixedWindowMs: round(median(strong.mixed)),
        // The targets' ratios (at 30 nodes: ≤ 0.1, ≤ 0.5, ≤ 0.5).
        mixedVsBaseline: round2(mixed / median(fabric.mixed)),
        mixedVsStrong: round2(mixed / median(strong.mixed)),
        promoteVsBaselineTotal: round2(promoteMs / median(fabric.total)),
      };
    } finally {
      await fleet.close();
    }
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const markDownSed = (to: Colour): string => (to === 'green' ? 's/0;/0 down;/g' : 's/1;/1 down;/g');

/**
 * What a classic deploy script does. The reload is wrapped in remote
 * timestamps only to measure the mixed window, from the first node's reload
 * to the last one's, as for ours.
 */
async function fabricStyleSwitch(fleet: TestFleet, to: Colour): Promise<{ totalMs: number; mixedWindowMs: number }> {
  const limit = pLimit(20);
  const file = `${fleet.nginxConfig.backendsDir}/blog.conf`;
  const started = performance.now();
  const reloads: number[] = [];
  const settled = await Promise.allSettled(fleet.nodes.map((node) => limit(async () => {
    // A new connection per host, closed when the host's task ends, as fabric does.
    const pool = await SshPool.fromConfig(fleet.sshConfig);
    await pool.connect(node);
    await must(pool.exec(node, `sed -i -r -e 's/ down;/;/g' "$1"`, [file]));
    await must(pool.exec(node, 'sed -i -r -e "$2" "$1"', [file, markDownSed(to)]));
    const res = await must(pool.exec(node, 'date +%s%N; sh -c "$1"', [fleet.nginxConfig.reloadCommand]));
    reloads.push(Number(BigInt(res.stdout.trim().split('\n')[0]!) / 1_000_000n));
    await pool.close();
  })));
  return measured(started, settled, reloads);
}

/**
 * The best a careful shell script does without an agent: every node is
 * staged first (in parallel, a connection each, like `pssh` or `xargs -P`),
 * so the second pass only renames the file in, tests and reloads; that pass
 * opens a fresh connection to every node at once, as a script run again
 * does. Its mixed window is the spread of those connections' set-up.
 */
async function strongScriptSwitch(fleet: TestFleet, to: Colour): Promise<{ totalMs: number; mixedWindowMs: number }> {
  const file = `${fleet.nginxConfig.backendsDir}/blog.conf`;
  const { testCommand, reloadCommand } = fleet.nginxConfig;
  const onEveryNode = (script: string, args: string[]): Promise<PromiseSettledResult<string>[]> =>
    Promise.allSettled(fleet.nodes.map(async (node) => {
      const pool = await SshPool.fromConfig(fleet.sshConfig);
      try {
        await pool.connect(node);
        return (await must(pool.exec(node, script, args))).stdout;
      } finally {
        await pool.close();
      }
    }));
  const started = performance.now();
  const staged = await onEveryNode(`sed -r -e 's/ down;/;/g' -e "$2" "$1" > "$1.next"`, [file, markDownSed(to)]);
  const unstaged = staged.find((s) => s.status === 'rejected');
  if (unstaged) throw (unstaged as PromiseRejectedResult).reason;
  const reloads: number[] = [];
  const settled = await onEveryNode(
    `cp -p "$1" "$1.prev" && mv -f "$1.next" "$1" && { sh -c "$2" >/dev/null 2>&1 || { mv -f "$1.prev" "$1"; exit 1; }; } && date +%s%N && sh -c "$3"`,
    [file, testCommand, reloadCommand],
  );
  for (const s of settled) if (s.status === 'fulfilled') reloads.push(Number(BigInt(s.value.trim().split('\n')[0]!) / 1_000_000n));
  return measured(started, settled, reloads);
}

function measured(started: number, settled: PromiseSettledResult<unknown>[], reloads: number[]): { totalMs: number; mixedWindowMs: number } {
  const totalMs = performance.now() - started;
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return { totalMs, mixedWindowMs: Math.max(...reloads) - Math.min(...reloads) };
}

async function must<T extends { code: number; stderr: string }>(p: Promise<T>): Promise<T> {
  const res = await p;
  if (res.code !== 0) throw new Error(`baseline command failed: ${res.stderr}`);
  return res;
}

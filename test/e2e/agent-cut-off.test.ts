import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { nodeFiles } from '../../src/fleet/remote-scripts.js';
import { parseUpstream } from '../../src/fleet/upstream-file.js';
import type { TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import { startLoad, type RunningLoad } from '../../src/sandbox/load/http-load.js';
import { startSandboxEnv, type SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import { untilAppState, untilLockFree } from '../support/app-state-in-store.js';
import { CliProcess } from '../support/cli-process.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, hookedTestCommand, servedByAll, upstreamFile } from '../support/fleet.js';
import { killOnUpstreamChange } from '../support/kill-when.js';

const blog = { name: 'blog', portBase: 30000 };
/** The switch's files beside node's blog.conf, seen from outside the node. */
const files = (node: TestNode): ReturnType<typeof nodeFiles> => nodeFiles(join(node.dir, 'backends.d', 'blog.conf'));

/** The node's commit has renamed green in and not yet put blue back: it waits at the barrier, or is still in its nginx -t. */
async function armed(node: TestNode): Promise<boolean> {
  return existsSync(files(node).journal) && parseUpstream(await upstreamFile(node), blog, node.name).live === 'green';
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (let waited = 0; !(await check()); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until no run on the node holds its upstream file's lock: whatever a dead agent left running there has ended. */
const nodeIdle = (node: TestNode): Promise<unknown> => promisify(execFile)('flock', ['-w', '60', files(node).lock, 'true']);

/**
 * Each story: blue 1.0.0 on three real nodes under load, a `switchyard
 * deploy blog 2.0.0` cut off in the middle of its fleet commit, then a new
 * `switchyard serve` that takes the deploy over. Whatever state the nodes
 * were left in, the end must be one colour everywhere, served for real, and
 * not one request failed: nothing was deleted that still took traffic.
 */
for (const login of ['root', 'deploy'] as const) {
  describeOnFleet(`the agent cut off between "armed" and "confirmed", on three real nodes, logged in as ${login} (invariant 11)`, () => {
    let env: SandboxEnv | undefined;
    let load: RunningLoad | undefined;
    const processes: CliProcess[] = [];
    afterEach(async () => {
      await load?.stop();
      load = undefined;
      for (const p of processes.splice(0)) {
        p.killNow();
        await p.exited;
      }
      await env?.close();
      env = undefined;
    });
    const cli = (args: string[]): CliProcess => {
      const p = CliProcess.start(args, env!.env);
      processes.push(p);
      return p;
    };

    /** Given: the sandbox with `slow` seconds of nginx -t on the named nodes, load through every node, and the deploy started. */
    async function given(slow: Record<string, number>): Promise<{ deploy: CliProcess; nodes: TestNode[] }> {
      env = await startSandboxEnv({
        nodes: 3,
        login,
        agent: { leaseSeconds: 5 },
        // The barrier lasts as long as a command may: keep it short, so nodes left waiting settle soon.
        ssh: { commandTimeoutSeconds: 8 },
        nginx: (fleet) => ({ testCommand: hookedTestCommand(fleet) }),
      });
      for (const node of env.fleet.nodes) if (slow[node.name]) await writeFile(join(node.dir, 'test-slow'), String(slow[node.name]));
      load = startLoad(env.fleet.nodes.map((n) => ({ host: n.address, port: 80 })), { mode: 'close', perTarget: 2 });
      await load.nextAnswers();
      return { deploy: cli(['deploy', 'blog', '2.0.0', '--yes', '--skip-verify']), nodes: env.fleet.nodes };
    }

    /** Then: a new agent takes the deploy over and ends it on green 2.0.0, consistent, without one failed request. */
    async function thenServeFinishesIt(deployId: string): Promise<void> {
      const serve = cli(['serve']);
      const resumed = await serve.untilLine((l) => l.type === 'resumed', 'the deploy to be resumed', 45_000);
      expect(resumed).toMatchObject({ app: 'blog', deployId, phase: 'switching', how: 'continued' });
      const after = await untilAppState(env!.kube, (s) => s.inFlight === null, 'the resumed deploy to finish', 60_000);
      expect(after.history[0], serve.transcript()).toMatchObject({ id: deployId, phase: 'done' });
      await serve.untilLine((l) => l.type === 'finished', 'the finished event');
      // Its runner lets the lock go just after it records the end.
      await untilLockFree(env!);
      expect(await serve.stop()).toBe(0);
      const { colour, version } = await expectConsistent(env!);
      expect({ colour, version }).toEqual({ colour: 'green', version: '2.0.0' });
      await load!.nextAnswers();
      const report = await load!.stop();
      load = undefined;
      console.log(`${login}: ${report.sent} requests through every node across the cut-off deploy, ${report.connectionErrors + report.badStatus} failed`, report.bodies);
      expect(report.connectionErrors + report.badStatus, report.samples.join('\n')).toBe(0);
      expect(Object.keys(report.bodies).sort()).toEqual(['blog 1.0.0', 'blog 2.0.0']);
    }

    it('SIGKILL while every node is in a slow nginx -t: each node puts itself back, and the next agent switches for real', async () => {
      const { deploy, nodes } = await given({ 'node-1': 2, 'node-2': 2, 'node-3': 2 });
      await killOnUpstreamChange(nodes, deploy);
      await deploy.exited;
      const left = await untilAppState(env!.kube, (s) => s.inFlight?.phase === 'switching', 'the dead deploy to be recorded');

      // Each node's commit outlived its connection, found no one at the barrier, and settled: blue in the file and in nginx.
      for (const node of nodes) await nodeIdle(node);
      for (const node of nodes) {
        expect(parseUpstream(await upstreamFile(node), blog, node.name).live, node.name).toBe('blue');
        expect(existsSync(files(node).journal), node.name).toBe(false);
      }
      expect(await servedByAll(env!.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);

      await thenServeFinishesIt(left.inFlight!.id);
    });

    it('SIGKILL while one node is in a slow nginx -t and the others wait at the barrier: no node stays armed', async () => {
      const { deploy, nodes } = await given({ 'node-2': 3 });
      await until('node-1 and node-3 to be armed', async () => (await armed(nodes[0]!)) && (await armed(nodes[2]!)));
      deploy.killNow();
      await deploy.exited;
      const left = await untilAppState(env!.kube, (s) => s.inFlight?.phase === 'switching', 'the dead deploy to be recorded');

      for (const node of nodes) await nodeIdle(node);
      for (const node of nodes) expect(parseUpstream(await upstreamFile(node), blog, node.name).live, node.name).toBe('blue');
      expect(await servedByAll(env!.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);

      await thenServeFinishesIt(left.inFlight!.id);
    });

    it('the agent frozen (SIGSTOP) at the barrier: its lease expires, another agent takes over once the nodes put themselves back', async () => {
      const { deploy, nodes } = await given({ 'node-2': 3 });
      await until('node-1 and node-3 to be armed', async () => (await armed(nodes[0]!)) && (await armed(nodes[2]!)));
      // The host freezes: no TCP close, no word at the barrier, no lease renewal.
      process.kill(-deploy.pid, 'SIGSTOP');
      const left = await untilAppState(env!.kube, (s) => s.inFlight?.phase === 'switching', 'the frozen deploy to be recorded');

      await thenServeFinishesIt(left.inFlight!.id);
      // The frozen agent never comes back.
      deploy.killNow();
    });
  }, { login });
}

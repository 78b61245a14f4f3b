import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { ResumeHow } from '../../src/deploy/deploy-event.js';
import { renderUpstream } from '../../src/fleet/upstream-file.js';
import type { StoreEvent } from '../../src/sandbox/kube/kube-store.js';
import type { SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import type { Phase } from '../../src/state/app-state.js';
import { stateInEvent, untilAppState } from '../support/app-state-in-store.js';
import type { CliProcess } from '../support/cli-process.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';
import { sandboxPerTest } from '../support/sandbox-per-test.js';
import { killOnUpstreamChange, killWhen } from '../support/kill-when.js';

const recorded = (phase: Phase) => (e: StoreEvent) => stateInEvent(e)?.inFlight?.phase === phase;
const replicaSet = (name: string, change: (e: StoreEvent) => boolean) => (e: StoreEvent) =>
  e.resource.plural === 'replicasets' && e.object.metadata.name === name && change(e);

interface Kill {
  /** The phase the record is in when the agent dies. */
  phase: Phase;
  /** Deploy with --skip-verify (every case but verifying's, which waits for a promote). */
  skipVerify: boolean;
  /** The moment of death; by default the instant the phase is recorded, before it acts. */
  kill?: (env: SandboxEnv, deploy: CliProcess) => Promise<unknown>;
  /** What else the dead agent left behind, done by hand after the kill. */
  leftBehind?: (env: SandboxEnv) => Promise<void>;
  /** How the new agent must say it went on. */
  how: ResumeHow[];
}

const cases: [string, Kill][] = [
  ['creating, right after blog-green was created', {
    phase: 'creating', skipVerify: true, how: ['continued'],
    kill: (env, deploy) => killWhen(env.kube, deploy, replicaSet('blog-green', (e) => e.type === 'ADDED')),
  }],
  ['waiting, before any green pod is Ready', { phase: 'waiting', skipVerify: true, how: ['continued'] }],
  ['verifying, waiting for a promote', { phase: 'verifying', skipVerify: false, how: ['continued'] }],
  ['switching, before any node switched', { phase: 'switching', skipVerify: true, how: ['continued'] }],
  ['switching, with node-1 already on green (an interrupted switch at its worst)', {
    phase: 'switching', skipVerify: true, how: ['reverted'],
    leftBehind: async (env) => {
      const { fleet } = env;
      const node = fleet.nodes[0]!;
      const path = join(node.dir, 'backends.d', 'blog.conf');
      await writeFile(path, renderUpstream(await readFile(path, 'utf8'), env.config.apps[0]!, 'green', path));
      await fleet.inNode(node, 'sh', ['-c', fleet.nginxConfig.reloadCommand]);
    },
  }],
  // Lands with some nodes armed (file renamed in, nginx not yet reloaded); each
  // node's commit script puts its backup back once the agent's channel closes.
  ['switching, in the middle of the commit (some nodes armed, none reloaded)', {
    phase: 'switching', skipVerify: true, how: ['continued', 'reverted'],
    kill: (env, deploy) => killOnUpstreamChange(env.fleet.nodes, deploy),
  }],
  ['draining, right after every node switched', { phase: 'draining', skipVerify: true, how: ['continued'] }],
  ['retiring, with blog-blue being deleted', {
    phase: 'retiring', skipVerify: true, how: ['continued'],
    kill: (env, deploy) => killWhen(env.kube, deploy, replicaSet('blog-blue', (e) => Boolean(e.object.metadata.deletionTimestamp) && !e.previous?.metadata.deletionTimestamp)),
  }],
];

describeOnFleet('the agent process killed in each phase and started again, on three real nodes (invariant 6)', () => {
  const { start, cli } = sandboxPerTest();

  it.each(cases)('%s: a new `switchyard serve` takes the deploy over and ends it consistent', async (_, k) => {
    // Given blue 1.0.0 on three nodes, and a `switchyard deploy blog 2.0.0` that dies in the phase.
    const env = await start({ nodes: 3, agent: { leaseSeconds: 5 } });
    const deploy = cli(['deploy', 'blog', '2.0.0', '--yes', ...(k.skipVerify ? ['--skip-verify'] : [])]);
    await (k.kill ?? ((e: SandboxEnv, d: CliProcess) => killWhen(e.kube, d, recorded(k.phase))))(env, deploy);
    await deploy.exited;
    const left = await untilAppState(env.kube, (s) => s.inFlight !== null, 'the dead deploy to be recorded');
    expect(left.inFlight!.phase).toBe(k.phase);
    await k.leftBehind?.(env);

    // When a new agent starts (once the dead one's lease has expired it takes the deploy over).
    const serve = cli(['serve']);
    const resumed = await serve.untilLine((l) => l.type === 'resumed', 'the deploy to be resumed');
    expect(resumed).toMatchObject({ app: 'blog', deployId: left.inFlight!.id, phase: k.phase });
    expect(k.how).toContain(resumed.how);
    console.log(`killed in ${k.phase}: resumed ${String(resumed.how)}${resumed.note ? ` (${String(resumed.note)})` : ''}`);
    if (k.phase === 'verifying') {
      // bob promotes from his shell; the agent that took the deploy over acts on it.
      const out: string[] = [];
      const code = await run(['promote', 'blog', '--json'], { env: { ...env.env, USER: 'bob' }, stdout: { write: (s) => out.push(s) }, stderr: { write: (s) => out.push(s) } });
      expect(code, out.join('')).toBe(0);
    }

    // Then the deploy ends done, said so, and the app is consistent on green 2.0.0.
    const after = await untilAppState(env.kube, (s) => s.inFlight === null, 'the resumed deploy to finish', 45_000);
    expect(after.history[0], serve.transcript()).toMatchObject({ id: left.inFlight!.id, phase: 'done' });
    await serve.untilLine((l) => l.type === 'finished', 'the finished event');
    expect(await serve.stop()).toBe(0);
    const { colour, version } = await expectConsistent(env);
    expect({ colour, version }).toEqual({ colour: 'green', version: '2.0.0' });
    expect(await servedByAll(env.fleet)).toEqual(['blog 2.0.0', 'blog 2.0.0', 'blog 2.0.0']);
  });
});

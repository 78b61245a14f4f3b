import { afterEach, expect, it } from 'vitest';
import { AppStateStore } from '../../src/cluster/app-state-store.js';
import { leaseName } from '../../src/cluster/colour-names.js';
import { run } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { startSandboxEnv, type SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import { appStateIn, untilAppState } from '../support/app-state-in-store.js';
import { CliProcess } from '../support/cli-process.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';

const holderOf = (kube: KubeStandIn): string =>
  String((kube.store.find('leases', 'blog', leaseName('blog'))?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '');

/** Resolves once blog's lease has been written `count` more times (each renewal is a write). */
function leaseWrites(kube: KubeStandIn, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = kube.store.subscribe((e) => {
      if (e.resource.plural !== 'leases' || e.object.metadata.name !== leaseName('blog') || ++seen < count) return;
      off();
      resolve();
    });
  });
}

/** `switchyard <args>` in this process, as another shell would run it. */
async function cli(env: SandboxEnv, args: string[], user = 'bob'): Promise<{ code: number; out: string }> {
  let out = '';
  const write = (s: string) => void (out += s);
  const code = await run([...args, '--json'], { env: { ...env.env, USER: user }, stdout: { write }, stderr: { write } });
  return { code, out };
}

describeOnFleet('one runner per deploy, whatever the identity and the clock (invariants 5 and 12), on real nodes', () => {
  let env: SandboxEnv | undefined;
  const processes: CliProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.thaw();
      await p.stop();
    }
    await env?.close();
    env = undefined;
  });
  const start = (args: string[]): CliProcess => {
    const p = CliProcess.start(args, env!.env);
    processes.push(p);
    return p;
  };

  it('a serve sharing the deploy\'s configured identity leaves the deploy to the process that runs it', async () => {
    // Given every process configured as switchyard-1, and alice's deploy waiting in verification.
    env = await startSandboxEnv({ nodes: 2, agent: { identity: 'switchyard-1', leaseSeconds: 5 } });
    const deploy = start(['deploy', 'blog', '2.0.0', '--yes']);
    const verifying = (await untilAppState(env.kube, (s) => s.inFlight?.phase === 'verifying', 'the deploy to wait in verification')).inFlight!;
    const holder = holderOf(env.kube);
    expect(holder).toMatch(/^switchyard-1\/[0-9a-f]{8}$/);

    // When a `switchyard serve` with the same config starts and watches for longer than a lease,
    const serve = start(['serve']);
    const report = await serve.untilLine((l) => l.type === 'resume-report', 'its first resume pass');
    // (A renewal delayed on a loaded machine may add that the holder looks dead: words only.)
    expect(report).toMatchObject({ app: 'blog', how: 'held-elsewhere', note: expect.stringMatching(/^held by switchyard-1\b/) });
    await leaseWrites(env.kube, 5); // renewed every 5/3 s: more than a lease and three of serve's resume passes

    // and a third process asks for another deploy,
    const second = start(['deploy', 'blog', '3.0.0', '--yes']);
    expect(await second.exited, second.transcript()).toBe(EXIT.lockHeld);
    expect(second.stderr[0]).toContain(`blog is held by switchyard-1 for deploy ${verifying.id} (2.0.0, asked by e2e (cli)), now verifying`);

    // then the lease never left the deploy process, and once bob promotes, that process alone ends the deploy.
    expect(holderOf(env.kube)).toBe(holder);
    const promote = await cli(env, ['promote', 'blog']);
    expect(promote.code, promote.out).toBe(EXIT.ok);
    expect(promote.out).toContain('"how":"held-elsewhere"');
    expect(await deploy.exited, deploy.transcript()).toBe(EXIT.ok);
    const after = await untilAppState(env.kube, (s) => s.inFlight === null, 'the deploy to finish');
    expect(after.history[0]).toMatchObject({ id: verifying.id, phase: 'done' });
    expect(serve.lines.filter((l) => l.type === 'resumed' || l.type === 'phase'), serve.transcript()).toEqual([]);
    expect(await serve.stop()).toBe(0);
    expect(await expectConsistent(env)).toMatchObject({ colour: 'green', version: '2.0.0' });
  });

  it('a deploy process frozen past its lease wakes after another took over: it changes nothing, and the deploy ends once', async () => {
    // Given alice's deploy waiting in verification, and its process frozen (SIGSTOP) there.
    env = await startSandboxEnv({ nodes: 2, agent: { identity: 'switchyard-1', leaseSeconds: 5 } });
    const frozen = start(['deploy', 'blog', '2.0.0', '--yes']);
    const { deployId: id } = await frozen.untilLine((l) => l.type === 'phase' && l.to === 'verifying', 'the deploy to wait in verification');
    frozen.freeze();

    // When a `switchyard serve` takes the deploy over once it has seen the lease go unrenewed for a lease,
    // then stops (leaving it in flight, its lock released), and bob's promote is recorded for whoever runs it next,
    const serve = start(['serve']);
    expect(await serve.untilLine((l) => l.type === 'resumed', 'the deploy to be taken over')).toMatchObject({ deployId: id, phase: 'verifying', how: 'continued' });
    expect(await serve.stop(), serve.transcript()).toBe(0);
    const store = new AppStateStore(env.kubeClients);
    expect(await store.readFence('blog', 'blog')).toBe(2);
    await store.updateAppState('blog', 'blog', (s) => ({
      ...s,
      inFlight: { ...s.inFlight!, promotedBy: { via: 'cli', id: 'bob' }, transitions: [...s.inFlight!.transitions, { phase: 'verifying', at: new Date().toISOString(), note: 'promote requested' }] },
    }));
    const before = env.kube.store.find('configmaps', 'blog', 'switchyard-blog')!;

    // and the frozen process wakes, still sure of its lease and with a promote to act on,
    const printed = frozen.lines.length;
    frozen.thaw();
    const stopped = await frozen.untilLine((l) => l.type === 'stopped', 'the woken deploy to stop');
    expect(stopped.reason, frozen.transcript()).toMatch(/^lost the lock of blog to another agent/);
    await frozen.exited;

    // then it changed nothing: not the record, not a node, not a ReplicaSet, not the lease.
    expect(env.kube.store.find('configmaps', 'blog', 'switchyard-blog')!.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await servedByAll(env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0']);
    expect(frozen.lines.slice(printed).filter((l) => l.type === 'phase' || l.type === 'nodes')).toEqual([]);
    expect(holderOf(env.kube)).toBe('');
    expect(appStateIn(env.kube).inFlight).toMatchObject({ id, phase: 'verifying' });

    // And the next agent carries the promoted deploy to its end.
    const next = start(['serve']);
    await next.untilLine((l) => l.type === 'finished', 'the deploy to finish');
    expect(appStateIn(env.kube).history[0]).toMatchObject({ id, phase: 'done', promotedBy: { id: 'bob' } });
    expect(await next.stop()).toBe(0);
    expect(await expectConsistent(env)).toMatchObject({ colour: 'green', version: '2.0.0' });
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DeployEvent } from '../../src/deploy/deploy-event.js';
import { runDeploy } from '../../src/deploy/deploy-runner.js';
import { DeployService } from '../../src/deploy/deploy-service.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { alice, bob, record } from './fixtures.js';
import { world } from './fake-ports.js';

/** `before` appears in the journal, and earlier than `after`. */
function expectBefore(journal: string[], before: string, after: string): void {
  expect(journal).toContain(before);
  expect(journal).toContain(after);
  expect(journal.indexOf(before)).toBeLessThan(journal.indexOf(after));
}

/** Runs `then` once the runner has staged (or tried to stage) the switch. */
function afterStaging(w: ReturnType<typeof world>, then: () => void): void {
  const stage = w.fleet.stage.bind(w.fleet);
  w.fleet.stage = async (...args) => {
    try {
      return await stage(...args);
    } finally {
      then();
    }
  };
}

describe('DeployRunner', () => {
  it('runs a deploy to done, recording each phase before acting on it', async () => {
    const w = world();
    w.when('verifying', () => void w.service.promote('blog', bob));
    const { record, done } = await w.service.deploy('blog', 'v2', { by: alice });
    expect(record).toMatchObject({ phase: 'pending', fromColour: 'blue', toColour: 'green', requestedBy: alice });
    const result = await done;

    expect(result.outcome).toBe('finished');
    expect(w.phases()).toEqual(['discovering', 'creating', 'waiting', 'verifying', 'switching', 'draining', 'retiring', 'done']);
    expectBefore(w.journal, 'state creating', 'cluster create green v2 mirror blue');
    expectBefore(w.journal, 'state waiting', 'cluster wait green');
    expectBefore(w.journal, 'state switching', 'fleet switch green');
    expectBefore(w.journal, 'state retiring', 'cluster delete blue');
    expect(w.journal[0]).toBe('lock acquire blog');
    expect(w.journal.at(-1)).toBe('lock release blog');
    expect(w.lock.holders.size).toBe(0);

    const s = await w.state.read('blog');
    expect(s.inFlight).toBeNull();
    expect(s.live).toEqual({ colour: 'green', version: 'v2' });
    expect(s.previous).toMatchObject({ colour: 'blue', version: 'v1', replicas: 3 });
    expect(s.history[0]).toMatchObject({ id: 'blog-1', phase: 'done', promotedBy: bob, finishedAt: expect.any(String) });
    const switching = s.history[0]!.transitions.find((t) => t.phase === 'switching');
    expect(switching?.by).toEqual(bob);
    expect(w.cluster.colours).toMatchObject({ blue: null, green: { version: 'v2', readyReplicas: 3 } });
    expect([...w.fleet.live.values()]).toEqual(['green', 'green', 'green']);

    expect(w.events).toContainEqual(expect.objectContaining({ type: 'pods', colour: 'green', ready: 3, desired: 3 }));
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'nodes', colour: 'green', switched: 3, total: 3, mixedWindowMs: 4 }));
    const timed = w.events.flatMap((e) => (e.type === 'timing' ? [e.phase] : []));
    expect(timed).toEqual(['pending', 'discovering', 'creating', 'waiting', 'verifying', 'switching', 'draining', 'retiring']);
    const waiting = w.events.find((e) => e.type === 'timing' && e.phase === 'waiting');
    expect(waiting).toMatchObject({ ms: 3000 });
    expect(w.events.at(-1)).toMatchObject({ type: 'finished', phase: 'done' });
  });

  it('ends the drain as soon as every node reports its old workers gone', async () => {
    const w = world({ app: { verify: { required: false } } });
    await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    const drain = w.events.find((e) => e.type === 'timing' && e.phase === 'draining');
    expect(drain).toMatchObject({ ms: 500 });
  });

  it('says once why a node\'s drain cannot be told, and waits the drain out instead of guessing', async () => {
    const w = world({ app: { verify: { required: false }, drainSeconds: 10 } });
    w.fleet.drainProblems = ["node-2: cannot tell whether the old nginx workers drained: cannot read nginx's pid file /run/nginx.pid"];
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record?.phase).toBe('done');
    const warnings = w.events.filter((e) => e.type === 'warning');
    expect(warnings).toEqual([expect.objectContaining({ phase: 'draining', message: expect.stringMatching(/^cannot tell whether the old nginx workers drained \(waiting out the drain\): node-2: .*cannot read nginx's pid file/) })]);
    expect(w.events.find((e) => e.type === 'timing' && e.phase === 'draining')).toMatchObject({ ms: 10_000 });
  });

  it('takes the lock itself when run directly, and refuses while another holds it', async () => {
    const w = world();
    await w.lock.acquire('blog', { agent: 'agent-2', deployId: 'blog-9', by: bob });
    const err = await runDeploy(w.deps, w.app, 'blog-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ code: 'lock-held', message: expect.stringContaining('held by agent-2') });
  });

  it('abort at verifying removes green and never touches the fleet', async () => {
    const w = world();
    w.when('verifying', () => void w.service.abort('blog', bob));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'aborted', abortedBy: bob });
    expect(w.journal.filter((j) => j.startsWith('fleet switch'))).toEqual([]);
    expect(w.cluster.colours.green).toBeNull();
    expect((await w.state.read('blog')).live).toEqual({ colour: 'blue', version: 'v1' });
    expect(w.lock.holders.size).toBe(0);
  });

  it('stages the switch while waiting for the promote, once, and hands the staged files to the promoted switch', async () => {
    const w = world();
    afterStaging(w, () => void w.service.promote('blog', bob));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record?.phase).toBe('done');
    expect(w.journal.filter((j) => j.startsWith('fleet stage'))).toEqual(['fleet stage green']);
    expectBefore(w.journal, 'state verifying', 'fleet stage green');
    expectBefore(w.journal, 'fleet stage green', 'state switching');
    expect(w.fleet.switches).toEqual([{ colour: 'green', from: 'blue', staged: true }]);
    expect(w.events.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('a staging that fails only warns: the promoted switch prepares in full', async () => {
    const w = world();
    w.fleet.failStage = true;
    afterStaging(w, () => void w.service.promote('blog', bob));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record?.phase).toBe('done');
    expect(w.fleet.switches).toEqual([{ colour: 'green', from: 'blue' }]);
    expect(w.events.filter((e) => e.type === 'warning')).toEqual([
      expect.objectContaining({ phase: 'verifying', message: expect.stringMatching(/^could not stage the switch to green ahead of the promote; the switch will prepare in full: cannot prepare blog on node-c/) }),
    ]);
  });

  it('abort after staging removes the staged files, then green', async () => {
    const w = world();
    afterStaging(w, () => void w.service.abort('blog', bob));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'aborted', abortedBy: bob });
    expectBefore(w.journal, 'fleet stage green', 'fleet unstage');
    expectBefore(w.journal, 'fleet unstage', 'cluster delete green');
    expect(w.fleet.stagedColour).toBeUndefined();
    expect(w.fleet.switches).toEqual([]);
  });

  it('abort during a long wait for pods ends the wait at once', async () => {
    const w = world();
    w.cluster.readyAfterMs = 600_000;
    w.when('waiting', () => void w.service.abort('blog', bob));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record?.phase).toBe('aborted');
    expect(w.clock.now().getTime() - Date.parse(result.record!.requestedAt)).toBeLessThan(10_000);
  });

  it('a pod in ImagePullBackOff fails the deploy in waiting and removes green', async () => {
    const w = world();
    w.cluster.fail.set('wait green', new SwitchyardError('pods-not-ready', 'pod blog-green-x7: ImagePullBackOff (blog:v2 not found)'));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({
      phase: 'failed',
      error: { code: 'pods-not-ready', phase: 'waiting', message: 'pod blog-green-x7: ImagePullBackOff (blog:v2 not found)' },
    });
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'error', phase: 'waiting', code: 'pods-not-ready' }));
    expect(w.cluster.colours.green).toBeNull();
    expect(w.cluster.colours.blue).not.toBeNull();
  });

  it('pods that never get Ready fail at the readiness timeout', async () => {
    const w = world({ app: { readyTimeout: '2m' } });
    w.cluster.neverReady = true;
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'failed', error: { phase: 'waiting', code: 'pods-not-ready' } });
    expect(w.cluster.colours.green).toBeNull();
  });

  it('the API server refusing the create fails in creating', async () => {
    const w = world();
    w.cluster.fail.set('create green', new SwitchyardError('kube-api-failed', 'creating ReplicaSet blog/blog-green: 500 Internal Server Error'));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'failed', error: { phase: 'creating', code: 'kube-api-failed' } });
    expect(w.cluster.colours.green).toBeNull();
  });

  it('a switch failing on one node leaves every node on blue, removes green and names the node', async () => {
    const w = world({ app: { verify: { required: false } } });
    w.fleet.failSwitchOn = 'node-b';
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'failed', error: { phase: 'switching', code: 'switch-commit-failed', message: expect.stringContaining('node-b') } });
    expect([...w.fleet.live.values()]).toEqual(['blue', 'blue', 'blue']);
    expect(w.cluster.colours).toMatchObject({ blue: { version: 'v1' }, green: null });
    expect((await w.state.read('blog')).live).toEqual({ colour: 'blue', version: 'v1' });
  });

  it('a node that drifted after discovery (set to green by hand while verifying) refuses the switch: no node changes, green is removed', async () => {
    const w = world();
    w.when('verifying', () => {
      w.fleet.live.set('node-c', 'green');
      void w.service.promote('blog', bob);
    });
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'failed', error: { phase: 'switching', code: 'fleet-disagrees', message: expect.stringContaining('node-c green') } });
    // The switch itself was told which colour every node must still serve: the check runs as it reads them.
    expect(w.fleet.switches).toEqual([{ colour: 'green', from: 'blue' }]);
    expect(Object.fromEntries(w.fleet.live)).toEqual({ 'node-a': 'blue', 'node-b': 'blue', 'node-c': 'green' });
    expect(w.cluster.colours).toMatchObject({ blue: { version: 'v1' }, green: null });
    expect((await w.state.read('blog')).live).toEqual({ colour: 'blue', version: 'v1' });
    expect(w.journal).not.toContain('fleet post-deploy');
  });

  it('runs post-deploy once the switch has drained and stayed, before retiring blue; never after a switch back', async () => {
    const kept = world({ app: { verify: { required: false }, postDeployCommand: '/sbin/deploy-blog' } });
    await (await kept.service.deploy('blog', 'v2', { by: alice })).done;
    expect(kept.journal.filter((j) => j === 'fleet post-deploy')).toHaveLength(1);
    expectBefore(kept.journal, 'state retiring', 'fleet post-deploy');
    expectBefore(kept.journal, 'fleet post-deploy', 'cluster delete blue');

    const reverted = world({ app: { verify: { required: false }, drainSeconds: 30, postDeployCommand: '/sbin/deploy-blog' } });
    reverted.fleet.drainMs = 60_000;
    reverted.fleet.onDrain = () => {
      reverted.cluster.colours.green!.readyReplicas = 1;
    };
    const result = await (await reverted.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'failed', error: { phase: 'draining' } });
    expect(reverted.fleet.switches).toEqual([{ colour: 'green', from: 'blue' }, { colour: 'blue' }]);
    expect(reverted.journal).not.toContain('fleet post-deploy');
  });

  it('a failed smoke check fails verification before any switch', async () => {
    const w = world({ app: { verify: { smoke: { path: '/healthz' } } } });
    w.fleet.failSmokeOn = 'node-c';
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'failed', error: { phase: 'verifying', message: expect.stringContaining('node-c') } });
    expect(w.journal.filter((j) => j.startsWith('fleet switch'))).toEqual([]);
  });

  it('verification that times out aborts, by the agent', async () => {
    const w = world({ app: { verify: { timeout: '1m', smoke: { path: '/healthz' } } } });
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'aborted', abortedBy: { via: 'agent' }, error: { code: 'deploy-aborted' } });
    expect(w.journal).toContain('fleet smoke green');
    expect(w.cluster.colours.green).toBeNull();
  });

  it('green losing Ready pods while draining: traffic goes back to blue and the deploy fails saying why', async () => {
    const w = world({ app: { verify: { required: false }, drainSeconds: 30 } });
    w.fleet.drainMs = 60_000;
    w.fleet.onDrain = () => {
      w.cluster.colours.green!.readyReplicas = 1;
    };
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({
      phase: 'failed',
      error: { phase: 'draining', message: expect.stringMatching(/^blog-green lost Ready pods after the switch at \S+ and was not Ready again within 30s \(1\/3 Ready\)$/) },
    });
    expect(result.record!.transitions).toContainEqual(expect.objectContaining({ phase: 'draining', note: expect.stringContaining('blog-green lost Ready pods after the switch (1/3 Ready)') }));
    expect(w.journal.filter((j) => j.startsWith('fleet switch'))).toEqual(['fleet switch green', 'fleet switch blue']);
    expect([...w.fleet.live.values()]).toEqual(['blue', 'blue', 'blue']);
    expect(w.cluster.colours).toMatchObject({ blue: { version: 'v1' }, green: null });
    expect((await w.state.read('blog')).live).toEqual({ colour: 'blue', version: 'v1' });
  });

  it('rides out a pod that leaves Ready for a moment during verification, noting when, and switches once promoted', async () => {
    const w = world();
    w.when('verifying', () => {
      w.cluster.colours.green!.readyReplicas = 2;
      void w.clock.sleep(5000).then(() => {
        w.cluster.colours.green!.readyReplicas = 3;
        void w.service.promote('blog', bob);
      });
    });
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'done', promotedBy: bob });
    expect(result.record!.notReadySince).toBeUndefined();
    const notes = result.record!.transitions.map((t) => `${t.phase}: ${t.note}`);
    expect(notes).toContainEqual(expect.stringMatching(/^verifying: blog-green lost Ready pods while being verified \(2\/3 Ready\); the deploy fails unless they are all Ready again by /));
    expect(notes).toContainEqual(expect.stringMatching(/^switching: blog-green Ready again \(3\/3 Ready\) after [56]s; promoted$/));
    const readiness = w.events.filter((e): e is Extract<DeployEvent, { type: 'readiness' }> => e.type === 'readiness');
    expect(readiness).toEqual([
      expect.objectContaining({ phase: 'verifying', colour: 'green', change: 'lost', ready: 2, desired: 3, since: expect.any(String), until: expect.any(String) }),
      expect.objectContaining({ phase: 'switching', colour: 'green', change: 'regained', ready: 3, desired: 3, since: readiness[0]?.since }),
    ]);
    // The app's readinessGraceSeconds (30) from when the loss was seen.
    expect(Date.parse(readiness[0]!.until!) - Date.parse(readiness[0]!.since)).toBe(30_000);
    expect(w.journal.filter((j) => j.startsWith('fleet switch'))).toEqual(['fleet switch green']);
  });

  it('never acts on a phase it could not record', async () => {
    const w = world();
    w.state.failWrite = (next) => next.inFlight?.phase === 'creating';
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result).toMatchObject({ outcome: 'stopped', reason: expect.stringContaining('could not record creating') });
    expect(w.journal.some((j) => j.startsWith('cluster create'))).toBe(false);
    expect((await w.state.read('blog')).inFlight?.phase).toBe('discovering');
    expect(w.lock.holders.size).toBe(0);
    expect(w.events.at(-1)).toMatchObject({ type: 'stopped', phase: 'discovering' });
  });

  it('stops on the agent signal, leaving the deploy recorded for a resume', async () => {
    const w2 = world();
    const shutdown = new AbortController();
    w2.when('verifying', () => shutdown.abort());
    const service = new DeployService({ ...w2.deps, apps: [w2.app], signal: shutdown.signal, newId: () => 'blog-7' });
    const result = await (await service.deploy('blog', 'v2', { by: alice })).done;
    expect(result).toMatchObject({ outcome: 'stopped', reason: 'the agent is shutting down' });
    expect((await w2.state.read('blog')).inFlight).toMatchObject({ id: 'blog-7', phase: 'verifying' });
    expect(w2.cluster.colours.green).toMatchObject({ readyReplicas: 3 });
    expect(w2.lock.holders.size).toBe(0);
  });

  it('stops when its lock was taken over, touching nothing more', async () => {
    const w = world({ app: { verify: { timeout: '1h' } } });
    const service = new DeployService({ ...w.deps, renewMs: 5000, apps: [w.app] });
    w.when('verifying', () => {
      w.lock.lost = true;
    });
    const result = await (await service.deploy('blog', 'v2', { by: alice })).done;
    expect(result).toMatchObject({ outcome: 'stopped', reason: 'lost the lock of blog to another agent' });
    expect(w.cluster.colours.green).not.toBeNull();
    expect(w.journal.filter((j) => j.startsWith('fleet switch'))).toEqual([]);
  });

  it('frozen past its lease, it wakes still believing it holds the lock: its next write is refused and nothing changes', async () => {
    const w = world({ app: { verify: { timeout: '1h' } } });
    // While it waits in verification another agent takes the lock over and claims the state under fence 2;
    // this runner's renewals still answer yes, as they do for a process that has not been scheduled since.
    w.when('verifying', () => {
      w.state.fences.set('blog', 2);
      void w.service.promote('blog', bob);
    });
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result).toMatchObject({ outcome: 'stopped', reason: expect.stringMatching(/^lost the lock of blog to another agent: refused a write/) });
    const left = (await w.state.read('blog')).inFlight!;
    expect(left).toMatchObject({ phase: 'verifying', promotedBy: bob });
    expect(left.transitions.at(-1)).toMatchObject({ phase: 'verifying', by: bob, note: 'promote requested' });
    expect(w.journal.filter((j) => j.startsWith('fleet switch'))).toEqual([]);
    expect(w.cluster.colours.green).toMatchObject({ version: 'v2' });
  });

  it('confirms its fence before changing the cluster: taken over right after recording creating, it creates nothing', async () => {
    const w = world();
    w.when('creating', () => w.state.fences.set('blog', 2));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result).toMatchObject({ outcome: 'stopped', reason: expect.stringMatching(/^lost the lock of blog to another agent/) });
    expect(w.journal.some((j) => j.startsWith('cluster create'))).toBe(false);
    expect((await w.state.read('blog')).inFlight?.phase).toBe('creating');
  });

  it('claims the record under its fence before it acts; one resumed under a lower fence than recorded stops at once', async () => {
    const w = world({ app: { verify: { required: false } } });
    w.state.states.set('blog', { ...(await w.state.read('blog')), inFlight: record('creating') });
    w.state.fences.set('blog', 3);
    const stale = await runDeploy(w.deps, w.app, 'blog-1', { lockHeld: { fence: 2 } });
    expect(stale).toMatchObject({ outcome: 'stopped', reason: expect.stringMatching(/^lost the lock of blog to another agent/) });
    expect(w.journal.filter((j) => !j.startsWith('lock'))).toEqual([]);

    const fresh = await runDeploy(w.deps, w.app, 'blog-1', { lockHeld: { fence: 4 } });
    expect(fresh).toMatchObject({ outcome: 'finished', record: { phase: 'done' } });
    expect(w.state.fences.get('blog')).toBe(4);
  });

  it('a renewal that never answers counts as a lost lock within two renew periods, and the runner still ends', async () => {
    const w = world({ app: { verify: { timeout: '1h' } } });
    let stoppedAt = 0;
    const onEvent = (e: DeployEvent) => {
      w.deps.onEvent?.(e);
      if (e.type === 'stopped') stoppedAt = w.clock.now().getTime();
    };
    const service = new DeployService({ ...w.deps, onEvent, renewMs: 5000, apps: [w.app] });
    let hungAt = 0;
    w.when('verifying', () => {
      w.lock.hang = true;
      hungAt = w.clock.now().getTime();
    });
    const result = await (await service.deploy('blog', 'v2', { by: alice })).done;
    expect(result).toMatchObject({ outcome: 'stopped', reason: 'lost the lock of blog to another agent' });
    // Stopped before the lease (three renew periods) could expire; its release, hanging too, is not waited for.
    expect(stoppedAt - hungAt).toBeLessThanOrEqual(2 * 5000 + 1000);
    expect(w.journal.filter((j) => j.startsWith('fleet switch'))).toEqual([]);
  });

  it('a renewal that fails once is tried again, and the deploy carries on', async () => {
    const w = world({ app: { verify: { required: false } } });
    w.cluster.readyAfterMs = 120_000;
    const service = new DeployService({ ...w.deps, renewMs: 10_000, apps: [w.app] });
    w.when('waiting', () => {
      w.lock.failNext = 1;
    });
    expect((await (await service.deploy('blog', 'v2', { by: alice })).done).record?.phase).toBe('done');
  });

  it('keeps its lock renewed through a long wait for pods', async () => {
    const w = world({ app: { verify: { required: false } } });
    w.cluster.readyAfterMs = 120_000;
    const service = new DeployService({ ...w.deps, renewMs: 10_000, apps: [w.app] });
    expect((await (await service.deploy('blog', 'v2', { by: alice })).done).record?.phase).toBe('done');
    expect(w.lock.renewals).toBeGreaterThanOrEqual(12);
  });

  it('reads the nodes again when one could not be read, and carries on when it answers', async () => {
    const w = world({ app: { verify: { required: false } } });
    w.fleet.readFailures = [['node-b'], ['node-b']];
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record?.phase).toBe('done');
    expect(w.journal.filter((j) => j === 'fleet read').length).toBeGreaterThanOrEqual(3);
  });

  it('fails in discovering, naming the node, when it stays unreadable', async () => {
    const w = world({ app: { verify: { required: false } } });
    w.fleet.readFailures = [['node-b'], ['node-b'], ['node-b'], ['node-b']];
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'failed', error: { phase: 'discovering', message: expect.stringContaining('node-b (connection reset)') } });
    expect(w.journal).not.toContain('cluster create green v2 mirror blue');
  });

  it('stops when the cluster cannot be read, after retries, saying why and what to do, its causes in the log', async () => {
    const logged: string[] = [];
    const w = world({ log: pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) }) });
    const refused = new SwitchyardError('kube-api-failed', 'cannot read ReplicaSet blog/blog-green: the Kubernetes API could not be reached (ECONNREFUSED)', {
      hint: 'check that the cluster is up',
      cause: new Error('connect ECONNREFUSED 127.0.0.1:6443'),
    });
    w.when('waiting', () => w.cluster.fail.set('observe', refused));
    const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(result).toMatchObject({
      outcome: 'stopped',
      reason: `could not read the ReplicaSets of blog: ${refused.message}`,
      hint: 'check that the cluster is up',
    });
    expect(w.events.at(-1)).toMatchObject({ type: 'stopped', phase: 'waiting', reason: result.reason, hint: 'check that the cluster is up' });
    expect((await w.state.read('blog')).inFlight?.phase).toBe('waiting');
    const stopped = logged.map((l) => JSON.parse(l) as { msg: string; err?: { message: string } }).find((l) => l.msg === result.reason);
    expect(stopped?.err?.message).toContain('connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('keeps the hint of a failing step in the record and the error event, in retiring and while unwinding too', async () => {
    const rbac = { hint: "grant switchyard's service account delete on replicasets" };
    const retiring = world({ app: { verify: { required: false } } });
    retiring.cluster.fail.set('delete blue', new SwitchyardError('kube-api-failed', 'cannot delete ReplicaSet blog/blog-blue: the Kubernetes API answered 403 Forbidden', rbac));
    const retired = await (await retiring.service.deploy('blog', 'v2', { by: alice })).done;
    expect(retired.record).toMatchObject({ phase: 'failed', error: { phase: 'retiring', code: 'kube-api-failed', ...rbac } });
    expect(retiring.events).toContainEqual(expect.objectContaining({ type: 'error', phase: 'retiring', ...rbac }));

    const unwinding = world();
    unwinding.cluster.fail.set('wait green', new SwitchyardError('pods-not-ready', 'blog-green-x1 is in ImagePullBackOff', { hint: 'check the image tag' }));
    unwinding.cluster.fail.set('delete green', new SwitchyardError('kube-api-failed', 'cannot delete ReplicaSet blog/blog-green: 403 Forbidden', rbac));
    const unwound = await (await unwinding.service.deploy('blog', 'v2', { by: alice })).done;
    expect(unwound.record).toMatchObject({ phase: 'failed', error: { message: expect.stringContaining('delete-colour failed while unwinding'), ...rbac } });
    expect(unwinding.events).toContainEqual(expect.objectContaining({ type: 'error', phase: 'waiting', hint: 'check the image tag' }));
    expect(unwinding.events).toContainEqual(expect.objectContaining({ type: 'error', ...rbac }));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { run } from '../../src/cli/main.js';
import { AppStateStore } from '../../src/cluster/app-state-store.js';
import { ensureColourCreated } from '../../src/cluster/create-colour.js';
import { connectKube, type KubeClients } from '../../src/cluster/kube-clients.js';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import type { DeployRecord } from '../../src/state/app-state.js';
import { closedPort, lines, runCli, writeSite } from './cli-harness.js';

const finished: DeployRecord = {
  id: 'blog-0000aaaa',
  app: 'blog',
  kind: 'deploy',
  version: 'v1',
  fromColour: null,
  fromVersion: null,
  toColour: 'blue',
  phase: 'done',
  requestedBy: { via: 'cli', id: 'bob' },
  requestedAt: '2026-01-01T10:00:00.000Z',
  promotedBy: { via: 'slack', id: 'U01CAROL', name: 'carol' },
  switchedAt: '2026-01-01T10:03:00.000Z',
  finishedAt: '2026-01-01T10:04:00.000Z',
  skipVerify: false,
  transitions: [{ phase: 'pending', at: '2026-01-01T10:00:00.000Z' }],
};

/**
 * The --json shapes scripts rely on, from a real stand-in cluster (through
 * the real client) and two nodes nobody listens on: the fleet cannot be
 * read, and status says so under problems.
 */
describe('--json output against the stand-in cluster, with unreachable nodes', () => {
  let kube: KubeStandIn;
  let site: Awaited<ReturnType<typeof writeSite>>;
  let clients: KubeClients;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    kube = await startKubeStandIn();
    site = await writeSite({ kubeUrl: kube.url, sshPort: await closedPort() });
    env = { USER: 'alice', SWITCHYARD_CONFIG: site.configPath };
    clients = connectKube({ kubeconfigPath: `${site.dir}/kubeconfig` });
    await clients.core.createNamespace({ body: { metadata: { name: 'blog' } } });
    await ensureColourCreated(clients, {
      app: 'blog',
      namespace: 'blog',
      colour: 'blue',
      version: 'v1',
      replicas: 2,
      template: { spec: { containers: [{ name: 'blog', image: 'blog:v1' }] } },
    });
    await new AppStateStore(clients).updateAppState('blog', 'blog', (s) => ({ ...s, live: { colour: 'blue', version: 'v1' }, history: [finished] }));
  });
  afterAll(async () => {
    await kube?.close();
    await site?.remove();
  });

  const json = async (argv: string[]) => {
    const result = await runCli(['--json', ...argv], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(lines(result.stdout)).toHaveLength(1);
    return JSON.parse(result.stdout);
  };

  it('status: every app, live colour, ready counts, node agreement, and the unreachable nodes as problems', async () => {
    const doc = await json(['status']);
    expect(doc.apps).toHaveLength(1);
    const [blog] = doc.apps;
    expect(blog).toMatchObject({
      app: 'blog',
      live: { colour: 'blue', version: 'v1' },
      inFlight: null,
      lastFinished: { id: finished.id, phase: 'done' },
      colours: { blue: { version: 'v1', replicas: 2, readyReplicas: expect.any(Number) }, green: null },
      fleet: { agreed: null, nodes: [{ node: 'node-a', colour: null }, { node: 'node-b', colour: null }] },
      nodesAgree: false,
    });
    expect(blog.problems).toEqual([expect.stringMatching(/^fleet: node-a: /), expect.stringMatching(/^fleet: node-b: /)]);
    expect((await json(['status', 'blog'])).apps[0].app).toBe('blog');
  });

  it('status for people: keyed lines, problems listed', async () => {
    const { code, stdout } = await runCli(['status', 'blog'], { env });
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^  live: +blue v1$/m);
    expect(stdout).toMatch(/^  blue: +v1  pods \d\/2 ready$/m);
    expect(stdout).toMatch(/^  nodes: +do not agree \(0\/2 read\)$/m);
    expect(stdout).toMatch(/^    - fleet: node-a: /m);
  });

  it('history: the app and its finished deploys, newest first, with who did what', async () => {
    expect(await json(['history', 'blog'])).toEqual({ app: 'blog', deploys: [finished] });
    const { stdout } = await runCli(['history', 'blog'], { env });
    expect(stdout).toContain('blog-0000aaaa  deploy v1  none → blue  done');
    expect(stdout).toContain('requested by bob (cli) at 2026-01-01T10:00:00.000Z; promoted by carol (slack)');
    expect(stdout).toContain('after 4m 00s');
  });

  it('plan: nodes, the fleet as read, and the steps, touching nothing', async () => {
    const before = kube.store.resourceVersion;
    const plan = await json(['plan', 'blog', 'v2']);
    expect(plan).toMatchObject({ app: 'blog', version: 'v2', nodes: ['node-a', 'node-b'], fleet: { agreed: null } });
    expect(plan.steps.length).toBeGreaterThan(0);
    for (const step of plan.steps) expect(step).toMatchObject({ phase: expect.any(String), actions: expect.any(Array), lines: expect.any(Array) });
    expect(plan.blockedBy).toBeUndefined();
    expect(kube.store.resourceVersion).toBe(before);
  });

  it('nodes: each node unreachable, with why', async () => {
    const doc = await json(['nodes']);
    expect(doc.nodes).toEqual([
      expect.objectContaining({ name: 'node-a', address: '127.0.0.1', reachable: false, error: expect.any(String), live: { blog: null } }),
      expect.objectContaining({ name: 'node-b', reachable: false }),
    ]);
  });

  it('promote with nothing in flight: exit 2, one line, state unchanged', async () => {
    const before = kube.store.resourceVersion;
    const result = await runCli(['promote', 'blog'], { env });
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual(['error: no deploy of blog in flight to promote — see: switchyard status blog']);
    expect(kube.store.resourceVersion).toBe(before);
  });

  it('deploy while another is in flight: exit 4 naming it; abort then takes the orphan over and ends it', async () => {
    const orphan: DeployRecord = {
      ...finished,
      id: 'blog-0000bbbb',
      version: 'v2',
      fromColour: 'blue',
      fromVersion: 'v1',
      toColour: 'green',
      phase: 'verifying',
      requestedAt: '2026-01-02T10:00:00.000Z',
      transitions: [{ phase: 'verifying', at: new Date().toISOString() }],
    };
    delete orphan.promotedBy;
    delete orphan.switchedAt;
    delete orphan.finishedAt;
    await new AppStateStore(clients).updateAppState('blog', 'blog', (s) => ({ ...s, inFlight: orphan }));

    const refused = await runCli(['deploy', 'blog', 'v3', '--yes'], { env });
    expect(refused.code).toBe(EXIT.lockHeld);
    expect(lines(refused.stderr)).toEqual([expect.stringContaining('blog has deploy blog-0000bbbb (v2, asked by bob (cli)), now verifying in flight with no agent running it')]);

    const result = await runCli(['--json', 'abort', 'blog'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    const out = lines(result.stdout).map((l) => JSON.parse(l));
    expect(out[0]).toMatchObject({ type: 'intent', verb: 'abort', by: { via: 'cli', id: 'alice' } });
    expect(out[1]).toMatchObject({ type: 'intent-recorded', verb: 'abort', record: { id: 'blog-0000bbbb', abortedBy: { via: 'cli', id: 'alice' } } });
    expect(out).toContainEqual(expect.objectContaining({ type: 'resumed', deployId: 'blog-0000bbbb', phase: 'verifying' }));
    expect(out.at(-1)).toMatchObject({ type: 'result', ok: true, record: { id: 'blog-0000bbbb', phase: 'aborted' } });
    const state = await new AppStateStore(clients).readAppState('blog', 'blog');
    expect(state.inFlight).toBeNull();
    expect(state.live).toEqual({ colour: 'blue', version: 'v1' });
    expect(state.history[0]).toMatchObject({ id: 'blog-0000bbbb', phase: 'aborted' });
  });

  it('deploy that the plan says would fail (nodes unreadable): exit 1, one line, nothing started', async () => {
    const before = kube.store.resourceVersion;
    const result = await runCli(['deploy', 'blog', 'v3', '--yes'], { env });
    expect(result.code).toBe(EXIT.failed);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^error: deploy of blog v3 would fail now: could not read the live colour of blog on node-a .*; nothing was started — /)]);
    expect(result.stdout).toContain('plan: deploy blog v3');
    expect(kube.store.resourceVersion).toBe(before);
  });

  it('serve: resume reports as JSON lines and the log on stderr, until interrupted; then exit 0', async () => {
    const interrupt = new AbortController();
    let stdout = '';
    let stderr = '';
    const serving = run(['serve', '--json'], {
      env,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      signal: interrupt.signal,
    });
    await expect.poll(() => stdout, { timeout: 10_000 }).toContain('resume-report');
    interrupt.abort();
    expect(await serving).toBe(EXIT.ok);
    expect(lines(stdout).map((l) => JSON.parse(l))).toContainEqual({ type: 'resume-report', app: 'blog', how: 'idle' });
    for (const line of lines(stderr)) expect(JSON.parse(line)).toHaveProperty('level');
  });
});

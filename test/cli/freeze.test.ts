import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { AppStateStore } from '../../src/cluster/app-state-store.js';
import { connectKube } from '../../src/cluster/kube-clients.js';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { closedPort, lines, runCli, writeSite } from './cli-harness.js';

/** "2026-11-29": a day `days` from today (UTC); whole days either side keep any wall-clock edge far away. */
const day = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe('the CLI in a freeze window (stand-in cluster, nodes nobody listens on)', () => {
  let kube: KubeStandIn;
  let site: Awaited<ReturnType<typeof writeSite>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    kube = await startKubeStandIn();
    site = await writeSite({
      kubeUrl: kube.url,
      sshPort: await closedPort(),
      config: { freeze: { timeZone: 'Europe/Berlin', windows: [{ name: 'incident', from: day(-1), to: day(3) }] } },
    });
    env = { USER: 'alice', SWITCHYARD_CONFIG: site.configPath };
    const clients = connectKube({ kubeconfigPath: `${site.dir}/kubeconfig` });
    await clients.core.createNamespace({ body: { metadata: { name: 'blog' } } });
    const overridden = {
      id: 'blog-0000aaaa',
      app: 'blog',
      kind: 'deploy' as const,
      version: 'v1',
      fromColour: null,
      fromVersion: null,
      toColour: 'blue' as const,
      phase: 'done' as const,
      requestedBy: { via: 'slack' as const, id: 'U03CAROL', name: 'carol' },
      requestedAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:04:00.000Z',
      skipVerify: false,
      freezeOverride: { windows: ['year-end'], until: '2026-01-04T08:00:00.000Z', reason: 'hotfix for INC-2041', by: { via: 'slack' as const, id: 'U03CAROL', name: 'carol' } },
      transitions: [{ phase: 'pending' as const, at: '2026-01-01T10:00:00.000Z' }],
    };
    await new AppStateStore(clients).updateAppState('blog', 'blog', (s) => ({ ...s, live: { colour: 'blue', version: 'v1' }, history: [overridden] }));
  });
  afterAll(async () => {
    await kube?.close();
    await site?.remove();
  });

  it('plan says a deploy would be refused, naming the window and its end', async () => {
    const result = await runCli(['plan', 'blog', 'v2'], { env });
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`  frozen now: deploys of blog are frozen by "incident" (${day(-1)} to ${day(3)} Europe/Berlin) until `);
    expect(result.stdout).toContain('a deploy needs --override-freeze "<why>" (overrideFreeze role)');
  });

  it('deploy is refused with exit 6 and one line, and changes nothing', async () => {
    const before = kube.store.resourceVersion;
    const result = await runCli(['deploy', 'blog', 'v2', '--yes'], { env });
    expect(result.code).toBe(EXIT.frozen);
    const [line, ...rest] = lines(result.stderr);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^error: deploys of blog are frozen by "incident" .* until .* Europe\/Berlin \(.*UTC\) — rollbacks still run; /);
    expect(kube.store.resourceVersion).toBe(before);
  });

  it('refuses an override without a real reason before reading anything', async () => {
    const result = await runCli(['deploy', 'blog', 'v2', '--yes', '--override-freeze', 'x'], { env });
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toEqual(['error: a freeze override needs a reason of 3 to 200 printable characters on one line — say why this cannot wait, e.g. --override-freeze "hotfix for INC-2041"']);
  });

  it('history shows who overrode a freeze and why', async () => {
    const result = await runCli(['history', 'blog'], { env });
    expect(result.stdout).toContain('  freeze "year-end" overridden by carol (slack): hotfix for INC-2041');
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { closedPort, lines, runCli, startTripwire, writeSite } from './cli-harness.js';

/**
 * Bad input is refused at the edge with one clear line and the right exit
 * code, before anything is built: the cluster and every node are a tripwire
 * that counts connections, and it must count none.
 */
describe('switchyard refuses bad input before touching anything', () => {
  let tripwire: Awaited<ReturnType<typeof startTripwire>>;
  let site: Awaited<ReturnType<typeof writeSite>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    tripwire = await startTripwire();
    site = await writeSite({ kubeUrl: tripwire.url, sshPort: tripwire.port });
    env = { USER: 'alice', SWITCHYARD_CONFIG: site.configPath };
  });
  afterAll(async () => {
    await tripwire?.close();
    await site?.remove();
  });

  const long = '1'.repeat(300);
  it.each([
    ['an app name with capitals and punctuation', ['deploy', 'Blog!', '1.0', '--yes'], EXIT.usage, /invalid app name "Blog!"/],
    ['an app name that is a path', ['status', '../etc'], EXIT.usage, /invalid app name/],
    ['a version with shell metacharacters', ['deploy', 'blog', '1.0;rm -rf /', '--yes'], EXIT.usage, /invalid version "1\.0;rm -rf \/"/],
    ['a version with a command substitution', ['plan', 'blog', '$(reboot)'], EXIT.usage, /invalid version/],
    ['a version with spaces', ['deploy', 'blog', '1.0 beta', '--yes'], EXIT.usage, /invalid version "1\.0 beta"/],
    ['a version of 300 characters', ['deploy', 'blog', long, '--yes'], EXIT.usage, /invalid version .*\(300 characters\)/],
    // A valid image tag but no label value: once it got as far as the API server, after the retained colour was deleted.
    ['a version of 70 characters', ['deploy', 'blog', '1'.repeat(70), '--yes'], EXIT.usage, /^error: invalid version "1{40}"… \(70 characters\) — use 1 to 63 letters, digits, "\.", "_" and "-", starting and ending with a letter or digit/],
    ['a version ending in a dot', ['plan', 'blog', '1.0.'], EXIT.usage, /^error: invalid version "1\.0\." — use 1 to 63 letters/],
    ['an unknown command', ['frob', 'blog'], EXIT.usage, /unknown command 'frob'/],
    ['a missing argument', ['deploy', 'blog'], EXIT.usage, /missing required argument 'version'/],
    ['an unknown option', ['status', '--colour'], EXIT.usage, /unknown option '--colour'/],
    ['an app the config does not name', ['deploy', 'shop', '1.0', '--yes'], EXIT.usage, /unknown app "shop" — known apps: blog/],
    ['a deploy without --yes and no terminal', ['deploy', 'blog', '1.0'], EXIT.usage, /without confirmation: stdin is not a terminal — pass --yes/],
    ['a bad app name to promote', ['promote', 'blog;ls'], EXIT.usage, /invalid app name/],
    ['a reconcile to a colour that is not one', ['reconcile', 'blog', '--to', 'red', '--yes'], EXIT.usage, /^error: --to must be blue or green, not "red"/],
    ['a reconcile without --yes and no terminal', ['reconcile', 'blog'], EXIT.usage, /refusing to reconcile blog without confirmation: stdin is not a terminal — pass --yes/],
    ['a bad app name to check', ['check', 'blog;ls'], EXIT.usage, /invalid app name/],
    ['an unknown way to end a gate window', ['gate', 'blog', 'maybe'], EXIT.usage, /unknown gate end "maybe" — say accept or rollback/],
  ])('%s: one line, exit %i, nothing touched', async (_what, argv, code, message) => {
    const result = await runCli(argv as string[], { env });
    expect(result.code).toBe(code);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(tripwire.connections()).toBe(0);
  });

  it('--json adds the error as one JSON document on stdout', async () => {
    const result = await runCli(['--json', 'deploy', 'blog', '1.0;rm -rf /', '--yes'], { env });
    expect(result.code).toBe(EXIT.usage);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'input-invalid', message: expect.stringMatching(/invalid version/), hint: expect.any(String) } });
    expect(tripwire.connections()).toBe(0);
  });

  it('a missing config file: exit 3, naming the path and how to give another', async () => {
    const missing = join(site.dir, 'nope.yaml');
    for (const [argv, e] of [
      [['status', '--config', missing], env],
      [['status'], { USER: 'alice', SWITCHYARD_CONFIG: missing }],
    ] as const) {
      const result = await runCli([...argv], { env: e });
      expect(result.code).toBe(EXIT.config);
      expect(lines(result.stderr)).toEqual([expect.stringContaining(`cannot read config ${missing}: ENOENT — pass --config FILE or set SWITCHYARD_CONFIG`)]);
      expect(result.stdout).toBe('');
    }
    expect(tripwire.connections()).toBe(0);
  });

  it('an invalid config: exit 3, every problem on one line, each with its key path', async () => {
    const bad = join(site.dir, 'bad.yaml');
    await writeFile(
      bad,
      [
        'discovery: { static: [ { name: node-a, address: 127.0.0.1 } ] }',
        'ssh: { user: deploy, privateKeyPath: id_rsa, knownHostsPath: known_hosts }',
        'apps:',
        '  - { name: blog, namespace: blog, portBase: 30005 }',
        '  - { name: www, namespace: www, portBase: 30010, colour: teal }',
      ].join('\n'),
    );
    const result = await runCli(['history', 'blog', '--config', bad], { env });
    expect(result.code).toBe(EXIT.config);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain('apps[0].portBase: a multiple of ten');
    expect(result.stderr).toContain('apps[1]: unknown key "colour"');
    expect(result.stdout).toBe('');
    expect(tripwire.connections()).toBe(0);
  });

  it('a YAML syntax error: exit 3 with the line', async () => {
    const broken = join(site.dir, 'broken.yaml');
    await writeFile(broken, 'apps: [\n  { name: blog\n');
    const result = await runCli(['status', '--config', broken], { env });
    expect(result.code).toBe(EXIT.config);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/broken\.yaml:\d+:\d+: YAML syntax error/)]);
  });

  it('a cluster that cannot be reached: exit 5, one line naming it', async () => {
    const down = await writeSite({ kubeUrl: `http://127.0.0.1:${await closedPort()}`, sshPort: tripwire.port });
    try {
      const result = await runCli(['history', 'blog', '--config', down.configPath], { env });
      expect(result.code).toBe(EXIT.unreachable);
      expect(lines(result.stderr)).toEqual([expect.stringMatching(/Kubernetes API could not be reached \(ECONNREFUSED\): .*connect ECONNREFUSED/)]);
      // The log has the whole chain: the wrapped error, then what client-node threw.
      const logged = await runCli(['history', 'blog', '--config', down.configPath, '--log-level', 'error'], { env });
      const entry = JSON.parse(lines(logged.stderr)[0]!) as { err: { type: string; message: string; stack: string } };
      expect(entry.err.type).toBe('SwitchyardError');
      expect(entry.err.stack).toMatch(/caused by: FetchError: request to http:\/\/127\.0\.0\.1:\d+\/\S+ failed, reason: connect ECONNREFUSED/);
    } finally {
      await down.remove();
    }
  });
});

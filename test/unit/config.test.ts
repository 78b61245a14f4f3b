import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';

const minimal = `
discovery:
  static: [ { name: node-a, address: 10.0.1.11 } ]
ssh: { user: deploy, privateKeyPath: keys/id, knownHostsPath: keys/known_hosts }
apps:
  - { name: blog, namespace: blog, portBase: 30000 }
`;

function errorOf(text: string): SwitchyardError {
  try {
    parseConfig(text, 'sy.yaml');
  } catch (err) {
    return err as SwitchyardError;
  }
  throw new Error('expected the config to be refused');
}

describe('config', () => {
  it('fills defaults and resolves key paths against the config file', () => {
    const c = parseConfig(minimal, '/etc/switchyard/sy.yaml');
    expect(c.ssh.concurrency).toBe(20);
    expect(c.ssh.privateKeyPath).toBe('/etc/switchyard/keys/id');
    expect(c.nginx.reloadCommand).toBe('service nginx reload');
    expect(c.apps[0]).toMatchObject({ drainSeconds: 30, fallbackReplicas: 1, verify: { required: true, timeout: 14400 } });
  });

  it('parses durations', () => {
    const c = parseConfig(minimal.replace('portBase: 30000', 'portBase: 30000, drainSeconds: 2m, verify: { timeout: 90s }'), 'x.yaml');
    expect(c.apps[0]!.drainSeconds).toBe(120);
    expect(c.apps[0]!.verify.timeout).toBe(90);
  });

  it('reports every problem at once with file and key path', () => {
    const e = errorOf(minimal.replace('portBase: 30000', 'portBase: 30005, colour: red').replace('user: deploy', 'user: "rm -rf"'));
    expect(e.code).toBe('config-invalid');
    expect(e.message).toContain('sy.yaml: apps[0].portBase: a multiple of ten');
    expect(e.message).toContain('sy.yaml: apps[0]: unknown key "colour"');
    expect(e.message).toContain('sy.yaml: ssh.user: a Unix user name');
  });

  it('names a missing key', () => {
    const e = errorOf(minimal.replace(/ssh:.*\n/, ''));
    expect(e.message).toMatch(/sy\.yaml: ssh: required/);
  });

  it('refuses both discovery sources, duplicate apps and shared ports', () => {
    const twice = minimal.replace('discovery:', 'discovery:\n  ec2: { tags: { Role: k8s } }') +
      '  - { name: blog, namespace: blog, portBase: 30000 }\n';
    const e = errorOf(twice);
    expect(e.message).toContain('discovery: exactly one of "ec2" or "static"');
    expect(e.message).toContain('apps[1].name: duplicate app "blog"');
    expect(e.message).toContain('apps[1].portBase: port 30000 already used by "blog"');
  });

  it('gives the line of a YAML syntax error', () => {
    expect(errorOf('apps: [\n  - x').message).toMatch(/^sy\.yaml:\d+:\d+: YAML syntax error/);
  });

  describe('refuses durations too short to be safe, naming the minimum and why', () => {
    const app = (keys: string) => minimal.replace('portBase: 30000', `portBase: 30000, ${keys}`);
    const ssh = (keys: string) => minimal.replace('knownHostsPath: keys/known_hosts', `knownHostsPath: keys/known_hosts, ${keys}`);
    it.each([
      ['pollSeconds 0 (a hot loop of API reads)', `${minimal}agent: { pollSeconds: 0 }\n`, 'agent.pollSeconds: at least 100ms: each poll reads'],
      ['pollSeconds 5ms', `${minimal}agent: { pollSeconds: 5ms }\n`, 'agent.pollSeconds: at least 100ms'],
      ['a drift check every 2s (reads every node over SSH)', `${minimal}agent: { driftCheckSeconds: 2s }\n`, 'agent.driftCheckSeconds: at least 5s (each check reads every node over SSH), or 0 to turn it off'],
      ['reloadConfirmSeconds 50ms (confirms nothing)', `${minimal}nginx: { reloadConfirmSeconds: 50ms }\n`, 'nginx.reloadConfirmSeconds: at least 1s: nginx lets its old workers accept for 100 ms'],
      ['connectTimeoutSeconds 0', ssh('connectTimeoutSeconds: 0'), 'ssh.connectTimeoutSeconds: at least 1s'],
      ['keepaliveSeconds 10ms', ssh('keepaliveSeconds: 10ms'), 'ssh.keepaliveSeconds: at least 1s'],
      ['a verification timeout of 10s', app('verify: { timeout: 10s }'), 'apps[0].verify.timeout: at least 1m'],
      ['a drain of 200ms', app('drainSeconds: 200ms'), 'apps[0].drainSeconds: either 0 (no drain) or at least 1s'],
      ['readyTimeout 0', app('readyTimeout: 0'), 'apps[0].readyTimeout: at least 1s'],
      ['commandTimeoutSeconds under what a commit needs', ssh('commandTimeoutSeconds: 14s'), 'ssh.commandTimeoutSeconds: at least 15s (nginx.reloadConfirmSeconds + 5s): a commit'],
      ['reloadConfirmSeconds longer than a command may run', `${minimal}nginx: { reloadConfirmSeconds: 1m }\n`, 'ssh.commandTimeoutSeconds: at least 65s'],
    ])('%s', (_name, text, message) => {
      expect(errorOf(text).message).toContain(`sy.yaml: ${message}`);
    });

    it('accepts the smallest safe values, a drain of 0 and no readiness grace', () => {
      const c = parseConfig(
        `${ssh('connectTimeoutSeconds: 1, keepaliveSeconds: 1s, commandTimeoutSeconds: 6s').replace('portBase: 30000', 'portBase: 30000, drainSeconds: 0, readyTimeout: 1s, readinessGraceSeconds: 0, verify: { timeout: 1m }')}agent: { pollSeconds: 100ms }\nnginx: { reloadConfirmSeconds: 1s }\n`,
        'sy.yaml',
      );
      expect(c.agent.pollSeconds).toBe(0.1);
      expect(c.ssh.commandTimeoutSeconds).toBe(6);
      expect(c.apps[0]).toMatchObject({ drainSeconds: 0, readyTimeout: 1, readinessGraceSeconds: 0, verify: { timeout: 60 } });
    });

    it('checks for drift every minute by default, and 0 turns the check off', () => {
      expect(parseConfig(minimal, 'sy.yaml').agent.driftCheckSeconds).toBe(60);
      expect(parseConfig(`${minimal}agent: { driftCheckSeconds: 0 }\n`, 'sy.yaml').agent.driftCheckSeconds).toBe(0);
    });

    it('gives readiness a grace of 30 s by default', () => {
      expect(parseConfig(minimal, 'sy.yaml').apps[0]!.readinessGraceSeconds).toBe(30);
    });
  });

  describe('refuses a releasesDir the clean-up could empty by mistake', () => {
    it.each([
      ['/', '/ is too near the root (fewer than two levels below /)'],
      ['/srv', '/srv is too near the root'],
      ['/etc', '/etc is too near the root'],
      ['/etc/nginx/releases', '/etc/nginx/releases is a system folder'],
      ['/usr/lib', '/usr/lib is a system folder'],
      ['/var/www/', '/var/www is a system folder'],
      ['/home/deploy', '/home/deploy is a home folder'],
      ['/srv/blog/../..', '"." and ".." are not allowed'],
    ])('%s', (dir, message) => {
      const e = errorOf(minimal.replace('portBase: 30000', `portBase: 30000, releasesDir: "${dir}", keepReleases: 5`));
      expect(e.message).toContain(`sy.yaml: apps[0].releasesDir: ${message}`);
      expect(e.message).toContain('give the app a folder of its own, such as /srv/blog/releases');
    });

    it.each(['/srv/blog/releases', '/home/deploy/releases', '/var/www/blog/releases', '/opt/blog'])('accepts %s', (dir) => {
      expect(parseConfig(minimal.replace('portBase: 30000', `portBase: 30000, releasesDir: ${dir}`), 'sy.yaml').apps[0]!.releasesDir).toBe(dir);
    });
  });
});

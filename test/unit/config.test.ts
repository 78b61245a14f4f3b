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
});

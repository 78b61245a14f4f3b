import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createDiscovery } from '../../src/discovery/create-discovery.js';
import { Ec2Discovery } from '../../src/discovery/ec2-discovery.js';
import { StaticDiscovery } from '../../src/discovery/static-discovery.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';

const configWith = (discovery: string) =>
  parseConfig(
    `discovery: ${discovery}
ssh: { user: deploy, privateKeyPath: keys/id, knownHostsPath: keys/known_hosts }
apps: [ { name: blog, namespace: blog, portBase: 30000 } ]
`,
    'sy.yaml',
  );

describe('static discovery', () => {
  it('returns the configured nodes sorted by name, with the ssh port from the node or discovery.sshPort', async () => {
    const config = configWith(`{ sshPort: 2222, static: [
      { name: node-b, address: 10.0.1.12 },
      { name: node-a, address: node-a.internal, port: 22 } ] }`);
    const discovery = createDiscovery(config.discovery);
    expect(discovery).toBeInstanceOf(StaticDiscovery);
    expect(await discovery.discover()).toEqual([
      { name: 'node-a', address: 'node-a.internal', port: 22 },
      { name: 'node-b', address: '10.0.1.12', port: 2222 },
    ]);
  });

  it('hands out copies, so a caller cannot change the list', async () => {
    const discovery = new StaticDiscovery([{ name: 'node-a', address: '10.0.1.11' }], 22);
    (await discovery.discover())[0]!.address = '10.9.9.9';
    expect((await discovery.discover())[0]!.address).toBe('10.0.1.11');
  });

  it.each([
    [[{ name: 'node a', address: '10.0.1.11' }], 'static node 1 ("node a"): invalid name'],
    [[{ name: 'node-a', address: '10.0.1.11; reboot' }], 'static node 1 ("node-a"): invalid address "10.0.1.11; reboot"'],
    [
      [
        { name: 'node-a', address: '10.0.1.11' },
        { name: 'node-a', address: '10.0.1.12' },
      ],
      'static node 2 ("node-a"): name used twice',
    ],
  ])('refuses a bad list when built from code: %j', (nodes, message) => {
    let err: unknown;
    try {
      new StaticDiscovery(nodes, 22);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('discovery-failed');
    expect((err as SwitchyardError).message).toBe(message);
  });
});

describe('createDiscovery', () => {
  it('chooses EC2 discovery when the config names tags', () => {
    const config = configWith('{ ec2: { region: eu-west-1, tags: { Role: k8s-node } } }');
    expect(createDiscovery(config.discovery)).toBeInstanceOf(Ec2Discovery);
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDiscovery, type CreateDiscoveryOptions } from '../../src/discovery/create-discovery.js';
import type { DiscoveryConfig } from '../../src/config/schema.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { ec2Instance, type Ec2InstanceSpec } from '../../src/sandbox/ec2/ec2-instance.js';
import { startEc2StandIn, type Ec2StandIn } from '../../src/sandbox/ec2/start-ec2-stand-in.js';

const TAGS = { Role: 'k8s-node', Cluster: 'prod' };
const id = (n: number): string => `i-${n.toString(16).padStart(17, '0')}`;
const node = (n: number, spec: Partial<Ec2InstanceSpec> = {}) =>
  ec2Instance({ id: id(n), name: `node-${String(n).padStart(2, '0')}`, privateIp: `10.0.1.${n}`, tags: TAGS, ...spec });

let ec2: Ec2StandIn;

beforeAll(async () => {
  ec2 = await startEc2StandIn();
});
afterAll(async () => {
  await ec2.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function discoveryConfig(ec2Part: Partial<NonNullable<DiscoveryConfig['ec2']>> = {}): DiscoveryConfig {
  return { ec2: { tags: TAGS, address: 'private', ...ec2Part }, sshPort: 2222 };
}

function discover(config = discoveryConfig(), options: CreateDiscoveryOptions = {}) {
  return createDiscovery(config, { endpoint: ec2.endpoint, region: ec2.region, credentials: ec2.credentials, ...options }).discover();
}

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SwitchyardError);
  return err as SwitchyardError;
}

describe('Ec2Discovery with the real SDK against the EC2 stand-in', () => {
  it('returns running instances carrying every tag, sorted by name, with address, zone, id and the ssh port', async () => {
    ec2.setInstances([
      node(3, { zone: 'us-east-1c' }),
      node(1, { zone: 'us-east-1a' }),
      node(2, { state: 'stopped' }),
      node(4, { state: 'pending' }),
      node(5, { tags: { Role: 'k8s-node', Cluster: 'staging' } }),
      node(6, { tags: { Role: 'k8s-node' } }),
      node(7, { zone: 'us-east-1b' }),
    ]);
    const before = ec2.requests.length;

    const nodes = await discover();

    expect(nodes).toEqual([
      { name: 'node-01', address: '10.0.1.1', port: 2222, instanceId: id(1), zone: 'us-east-1a' },
      { name: 'node-03', address: '10.0.1.3', port: 2222, instanceId: id(3), zone: 'us-east-1c' },
      { name: 'node-07', address: '10.0.1.7', port: 2222, instanceId: id(7), zone: 'us-east-1b' },
    ]);
    const [request] = ec2.requests.slice(before);
    expect(request?.params).toMatchObject({
      Action: 'DescribeInstances',
      'Filter.1.Name': 'tag:Role',
      'Filter.1.Value.1': 'k8s-node',
      'Filter.2.Name': 'tag:Cluster',
      'Filter.2.Value.1': 'prod',
      'Filter.3.Name': 'instance-state-name',
      'Filter.3.Value.1': 'running',
    });
    expect(ec2.unserved).toEqual([]);
  });

  it('reads every page: 23 nodes in pages of 5', async () => {
    const stopped = [30, 31, 32].map((n) => node(n, { state: 'stopped' }));
    ec2.setInstances([...stopped, ...Array.from({ length: 23 }, (_, i) => node(i + 1))]);
    const before = ec2.requests.length;

    const nodes = await discover(discoveryConfig(), { pageSize: 5 });

    expect(nodes.map((n) => n.name)).toEqual(Array.from({ length: 23 }, (_, i) => `node-${String(i + 1).padStart(2, '0')}`));
    const pages = ec2.requests.slice(before);
    expect(pages).toHaveLength(5);
    expect(pages.map((p) => p.params.MaxResults)).toEqual(['5', '5', '5', '5', '5']);
    expect(pages[0]!.params.NextToken).toBeUndefined();
    expect(pages.slice(1).every((p) => typeof p.params.NextToken === 'string')).toBe(true);
    expect(ec2.unserved).toEqual([]);
  });

  it('counts an instance seen on two pages once', async () => {
    const twice = node(2);
    ec2.setInstances([node(1), twice, node(3), node(4), node(5), twice, node(6)]);
    const nodes = await discover(discoveryConfig(), { pageSize: 5 });
    expect(nodes.map((n) => n.instanceId)).toEqual([1, 2, 3, 4, 5, 6].map(id));
  });

  it('uses public addresses when configured', async () => {
    ec2.setInstances([node(1, { publicIp: '54.10.0.1' }), node(2, { publicIp: '54.10.0.2' })]);
    const nodes = await discover(discoveryConfig({ address: 'public' }));
    expect(nodes.map((n) => n.address)).toEqual(['54.10.0.1', '54.10.0.2']);
  });

  it('names a node that lacks the address kind asked for', async () => {
    ec2.setInstances([node(1, { publicIp: '54.10.0.1' }), node(2)]);
    const err = await failure(discover(discoveryConfig({ address: 'public' })));
    expect(err.code).toBe('discovery-failed');
    expect(err.message).toBe(`EC2 instance ${id(2)} (node-02) has no public IP address`);
    expect(err.hint).toContain('discovery.ec2.address: private');
  });

  it('falls back to the instance id when the Name tag is missing or empty', async () => {
    ec2.setInstances([node(1, { name: undefined }), node(2, { name: '' }), node(3)]);
    const nodes = await discover();
    expect(nodes.map((n) => n.name)).toEqual([id(1), id(2), 'node-03']);
  });

  it('tells instances sharing a Name tag apart by their instance ids (an autoscaling group names them all alike)', async () => {
    const long = 'n'.repeat(50);
    ec2.setInstances([node(1, { name: 'k8s-node' }), node(2, { name: 'k8s-node' }), node(3), node(4, { name: long }), node(5, { name: long })]);
    const nodes = await discover();
    expect(nodes.map((n) => n.name)).toEqual([id(4), id(5), `k8s-node.${id(1)}`, `k8s-node.${id(2)}`, 'node-03']);
  });

  it('says which tags matched nothing', async () => {
    ec2.setInstances([node(1, { state: 'stopped' }), node(2, { tags: { Role: 'k8s-node' } })]);
    const err = await failure(discover());
    expect(err.code).toBe('discovery-failed');
    expect(err.message).toContain('no running EC2 instance');
    expect(err.message).toContain('carries the tags Role=k8s-node, Cluster=prod');
    expect(err.hint).toContain('discovery.ec2.tags');
  });

  it.each([
    ['an address', { privateIp: '10.0.1.1;reboot' }, 'has a private address that is not valid: "10.0.1.1;reboot"'],
    ['an address that is no IP', { privateIp: '10.0.1.300' }, 'has a private address that is not valid: "10.0.1.300"'],
    ['a Name tag', { name: 'node-01; rm -rf /' }, 'has a Name tag that is not a valid node name: "node-01; rm -rf /"'],
  ])('refuses an instance with %s that fails the pattern, naming the instance', async (_what, spec, message) => {
    ec2.setInstances([node(2), node(1, spec)]);
    const err = await failure(discover());
    expect(err.code).toBe('discovery-failed');
    expect(err.message).toContain(`EC2 instance ${id(1)}`);
    expect(err.message).toContain(message);
  });

  it('explains credentials AWS does not accept (AuthFailure)', async () => {
    ec2.setInstances([node(1)]);
    const wrongSecret = { accessKeyId: ec2.credentials.accessKeyId, secretAccessKey: 'not-the-secret' };
    const unknownKey = { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'whatever' };
    for (const credentials of [wrongSecret, unknownKey]) {
      const err = await failure(discover(discoveryConfig(), { credentials }));
      expect(err.code).toBe('discovery-failed');
      expect(err.message).toBe(`the EC2 endpoint ${ec2.endpoint} refused the AWS credentials (AuthFailure)`);
      expect(err.hint).toContain('access key');
    }
  });

  it('explains access denied (UnauthorizedOperation)', async () => {
    ec2.setInstances([node(1)]);
    const err = await failure(discover(discoveryConfig(), { credentials: ec2.deniedCredentials }));
    expect(err.message).toContain('access denied: the AWS identity may not call ec2:DescribeInstances');
    expect(err.hint).toContain('grant ec2:DescribeInstances');
  });

  it('explains that no credentials were found in the default chain, without calling EC2', async () => {
    isolateFromAwsEnvironment();
    const before = ec2.requests.length;
    const err = await failure(discover(discoveryConfig(), { credentials: undefined }));
    expect(err.code).toBe('discovery-failed');
    expect(err.message).toBe('EC2 discovery found no AWS credentials');
    expect(err.hint).toContain('AWS_ACCESS_KEY_ID');
    expect(ec2.requests.length).toBe(before);
  });

  it('explains a missing region', async () => {
    isolateFromAwsEnvironment();
    const err = await failure(discover(discoveryConfig(), { region: undefined }));
    expect(err.message).toBe('EC2 discovery has no AWS region');
    expect(err.hint).toContain('discovery.ec2.region');
  });

  it('takes the region from the environment when the config has none', async () => {
    isolateFromAwsEnvironment();
    vi.stubEnv('AWS_REGION', ec2.region);
    ec2.setInstances([node(1)]);
    const nodes = await discover(discoveryConfig(), { region: undefined });
    expect(nodes.map((n) => n.name)).toEqual(['node-01']);
  });

  it('explains an endpoint that cannot be reached', async () => {
    const endpoint = await closedPortEndpoint();
    const err = await failure(discover(discoveryConfig(), { endpoint, maxAttempts: 2 }));
    expect(err.code).toBe('discovery-failed');
    expect(err.message).toContain(`could not reach the EC2 endpoint ${endpoint}: ECONNREFUSED`);
    expect(err.hint).toContain('discovery.ec2.endpoint');
  });
});

/** Points the SDK's credential and region chains at nothing, so no real file, variable or metadata service is used. */
function isolateFromAwsEnvironment(): void {
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  ]) {
    vi.stubEnv(name, undefined);
  }
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/switchyard-test/credentials');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/switchyard-test/config');
  // Keeps the chain from asking the instance metadata service (a network call off loopback).
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

/** An endpoint on loopback that refuses connections: a port that was just free. */
async function closedPortEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

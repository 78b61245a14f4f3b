import {
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  EC2Client,
  type DescribeInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ec2Instance } from '../../src/sandbox/ec2/ec2-instance.js';
import { startEc2StandIn, type Ec2Credentials, type Ec2StandIn } from '../../src/sandbox/ec2/start-ec2-stand-in.js';

/**
 * The stand-in itself, through the real SDK: the parts of DescribeInstances
 * discovery does not use, and the strictness that makes tests trustworthy.
 */
let ec2: Ec2StandIn;
const clients: EC2Client[] = [];

const INSTANCES = [
  ec2Instance({ id: 'i-0000000000000000a', name: 'node-a', privateIp: '10.0.1.1', zone: 'eu-west-1a', tags: { Role: 'k8s-node' } }),
  ec2Instance({ id: 'i-0000000000000000b', name: 'node-b', privateIp: '10.0.1.2', zone: 'eu-west-1b', tags: { Role: 'k8s-master' } }),
  ec2Instance({ id: 'i-0000000000000000c', name: 'db-1', privateIp: '10.0.2.1', zone: 'eu-west-1a', tags: { Tier: 'db' }, state: 'stopped' }),
];

beforeAll(async () => {
  ec2 = await startEc2StandIn({ instances: INSTANCES, region: 'eu-west-1' });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await ec2.close();
});

function client(credentials: Ec2Credentials = ec2.credentials, region = ec2.region): EC2Client {
  const c = new EC2Client({ endpoint: ec2.endpoint, region, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function ids(input: DescribeInstancesCommandInput): Promise<string[]> {
  const out = await client().send(new DescribeInstancesCommand(input));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId!));
}

async function errorOf(send: Promise<unknown>): Promise<{ name: string; message: string }> {
  return send.then(
    () => {
      throw new Error('expected EC2 to refuse the request');
    },
    (e: { name: string; message: string }) => e,
  );
}

describe('EC2 stand-in', () => {
  it.each<[string, DescribeInstancesCommandInput, string[]]>([
    ['no filter', {}, ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c']],
    ['a tag with a wildcard', { Filters: [{ Name: 'tag:Role', Values: ['k8s-*'] }] }, ['i-0000000000000000a', 'i-0000000000000000b']],
    ['alternative values', { Filters: [{ Name: 'tag:Name', Values: ['node-b', 'db-?'] }] }, ['i-0000000000000000b', 'i-0000000000000000c']],
    ['tag-key', { Filters: [{ Name: 'tag-key', Values: ['Tier'] }] }, ['i-0000000000000000c']],
    [
      'zone and state together',
      {
        Filters: [
          { Name: 'availability-zone', Values: ['eu-west-1a'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      },
      ['i-0000000000000000a'],
    ],
    ['instance-id filter', { Filters: [{ Name: 'instance-id', Values: ['i-0000000000000000b'] }] }, ['i-0000000000000000b']],
    ['InstanceId.N', { InstanceIds: ['i-0000000000000000c', 'i-0000000000000000a'] }, ['i-0000000000000000a', 'i-0000000000000000c']],
  ])('filters: %s', async (_what, input, expected) => {
    const before = ec2.unserved.length;
    expect(await ids(input)).toEqual(expected);
    expect(ec2.unserved.length).toBe(before);
  });

  it('answers real XML the SDK reads field by field', async () => {
    const out = await client().send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000000c'] }));
    const reservation = out.Reservations?.[0];
    expect(reservation?.ReservationId).toBe('r-0000000000000000c');
    expect(reservation?.Instances?.[0]).toMatchObject({
      InstanceId: 'i-0000000000000000c',
      State: { Code: 80, Name: 'stopped' },
      PrivateIpAddress: '10.0.2.1',
      PrivateDnsName: 'ip-10-0-2-1.ec2.internal',
      Placement: { AvailabilityZone: 'eu-west-1a' },
      Tags: [
        { Key: 'Tier', Value: 'db' },
        { Key: 'Name', Value: 'db-1' },
      ],
      LaunchTime: new Date('2024-01-01T00:00:00.000Z'),
    });
  });

  it('pages with MaxResults and NextToken, and refuses a token from another query', async () => {
    const first = await client().send(new DescribeInstancesCommand({ MaxResults: 5, Filters: [{ Name: 'tag-key', Values: ['*'] }] }));
    expect(first.NextToken).toBeUndefined();
    ec2.setInstances(Array.from({ length: 7 }, (_, n) => ec2Instance({ id: `i-0000000${n}`.padEnd(19, '0'), privateIp: `10.0.3.${n}` })));
    const page1 = await client().send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(page1.Reservations).toHaveLength(5);
    const page2 = await client().send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: page1.NextToken }));
    expect(page2.Reservations).toHaveLength(2);
    expect(page2.NextToken).toBeUndefined();
    const err = await errorOf(
      client().send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: page1.NextToken, Filters: [{ Name: 'tag-key', Values: ['x'] }] })),
    );
    expect(err.name).toBe('InvalidPaginationToken');
    ec2.setInstances(INSTANCES);
  });

  it.each<[string, DescribeInstancesCommandInput, string]>([
    ['MaxResults below 5', { MaxResults: 3 }, 'InvalidParameterValue'],
    ['MaxResults with InstanceIds', { MaxResults: 5, InstanceIds: ['i-0000000000000000a'] }, 'InvalidParameterCombination'],
    ['an unknown instance', { InstanceIds: ['i-0000000000000000f'] }, 'InvalidInstanceID.NotFound'],
    ['a malformed instance id', { InstanceIds: ['node-a'] }, 'InvalidInstanceID.Malformed'],
    ['a filter it does not know', { Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] }, 'InvalidParameterValue'],
  ])('refuses %s as EC2 does, and records it as not served', async (_what, input, code) => {
    const before = ec2.unserved.length;
    expect((await errorOf(client().send(new DescribeInstancesCommand(input)))).name).toBe(code);
    expect(ec2.unserved.slice(before).map((r) => r.errorCode)).toEqual([code]);
  });

  it('answers InvalidAction for actions it does not serve, and records them', async () => {
    const before = ec2.unserved.length;
    const err = await errorOf(client().send(new DescribeRegionsCommand({})));
    expect(err.name).toBe('InvalidAction');
    expect(ec2.unserved.slice(before)).toMatchObject([{ action: 'DescribeRegions', errorCode: 'InvalidAction' }]);
  });

  it('checks the SigV4 signature: unknown key, wrong secret and wrong region are AuthFailure', async () => {
    const before = ec2.requests.length;
    const cases = [
      client({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }),
      client({ accessKeyId: ec2.credentials.accessKeyId, secretAccessKey: 'wrong' }),
      client(ec2.credentials, 'us-west-2'),
    ];
    for (const c of cases) expect((await errorOf(c.send(new DescribeInstancesCommand({})))).name).toBe('AuthFailure');
    // Deliberate answers to bad credentials are served, not faults of the stand-in.
    expect(ec2.requests.slice(before).map((r) => [r.status, r.served])).toEqual([
      [401, true],
      [401, true],
      [401, true],
    ]);
  });

  it('answers UnauthorizedOperation to the identity without the permission', async () => {
    const err = await errorOf(client(ec2.deniedCredentials).send(new DescribeInstancesCommand({})));
    expect(err.name).toBe('UnauthorizedOperation');
  });

  it('refuses an unsigned request', async () => {
    const before = ec2.unserved.length;
    const res = await fetch(ec2.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(ec2.unserved.length).toBe(before + 1);
  });
});

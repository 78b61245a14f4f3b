import { isIPv4 } from 'node:net';
import type { EC2ClientConfig, Instance } from '@aws-sdk/client-ec2';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { NODE_ADDRESS, NODE_NAME } from '../validate/patterns.js';
import { explainEc2Error } from './explain-ec2-error.js';
import type { Discovery, FleetNode } from './fleet-node.js';

export type AddressKind = 'private' | 'public';

export interface Ec2DiscoveryOptions {
  /** Every tag must match (EC2 `tag:<Key>` filters). */
  tags: Record<string, string>;
  address: AddressKind;
  sshPort: number;
  /** Unset: the SDK's chain (AWS_REGION, the shared config file ...). */
  region?: string;
  /** Unset: AWS's endpoint for the region. */
  endpoint?: string;
  /** Unset: the SDK's default chain (environment, shared files, SSO, instance/task role). */
  credentials?: EC2ClientConfig['credentials'];
  /** MaxResults per page (5..1000). */
  pageSize?: number;
  /** Attempts per page, retries included. */
  maxAttempts?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * Nodes from EC2: running instances that carry every configured tag, read
 * page by page, each checked against the node patterns before it is
 * returned. Sorted by name; an instance seen on two pages counts once.
 *
 * @example
 * const discovery = new Ec2Discovery({ tags: { Role: 'k8s-node' }, address: 'private', sshPort: 22 });
 * const nodes = await discovery.discover(); // [{ name: 'node-a', address: '10.0.1.11', port: 22, instanceId: 'i-…', zone: 'us-east-1a' }]
 */
export class Ec2Discovery implements Discovery {
  readonly #options: Ec2DiscoveryOptions;

  constructor(options: Ec2DiscoveryOptions) {
    this.#options = options;
  }

  async discover(): Promise<FleetNode[]> {
    const o = this.#options;
    // Loaded on the first discovery, not at start: the SDK is about 80 MB of the agent's memory, and serve discovers nodes only for a deploy.
    const { EC2Client, paginateDescribeInstances } = await import('@aws-sdk/client-ec2');
    const client = new EC2Client({
      ...(o.region === undefined ? {} : { region: o.region }),
      ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
      ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
      maxAttempts: o.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: o.connectTimeoutMs ?? 5_000, requestTimeout: o.requestTimeoutMs ?? 30_000 },
    });
    const byId = new Map<string, Instance>();
    // Resolved once for messages: from the config or the SDK's region chain.
    const where = { endpoint: o.endpoint, region: await client.config.region().catch(() => o.region) };
    try {
      const filters = [
        ...Object.entries(o.tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
        { Name: 'instance-state-name', Values: ['running'] },
      ];
      for await (const page of paginateDescribeInstances({ client, pageSize: o.pageSize ?? 1000 }, { Filters: filters })) {
        for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          if (instance.InstanceId) byId.set(instance.InstanceId, instance);
        }
      }
    } catch (err) {
      throw explainEc2Error(err, where);
    } finally {
      client.destroy();
    }
    if (byId.size === 0) throw this.#noMatch(where.region);
    const nodes = unambiguous([...byId.values()].map((i) => this.#toNode(i)));
    return nodes.sort((a, b) => compare(a.name, b.name) || compare(a.instanceId ?? '', b.instanceId ?? ''));
  }

  #toNode(instance: Instance): FleetNode {
    const id = instance.InstanceId!;
    const name = instance.Tags?.find((t) => t.Key === 'Name')?.Value?.trim() || id;
    const kind = this.#options.address;
    const address = kind === 'public' ? instance.PublicIpAddress : instance.PrivateIpAddress;
    const zone = instance.Placement?.AvailabilityZone;
    if (!NODE_NAME.test(name)) {
      throw new SwitchyardError('discovery-failed', `EC2 instance ${id} has a Name tag that is not a valid node name: ${quote(name)}`, {
        hint: 'rename the instance using letters, digits, ".", "_" and "-" (at most 63), or remove its discovery tags',
        details: { instanceId: id },
      });
    }
    if (!address) {
      throw new SwitchyardError('discovery-failed', `EC2 instance ${id} (${name}) has no ${kind} IP address`, {
        hint:
          kind === 'public'
            ? 'give it a public IP (or an Elastic IP), or set discovery.ec2.address: private if the agent runs inside the VPC'
            : 'check the instance in the EC2 console; a running instance in a VPC always has a private IP',
        details: { instanceId: id, address: kind },
      });
    }
    // EC2 reports IPv4 addresses; "10.0.1.300" passes NODE_ADDRESS as a host name but is no IP.
    if (!NODE_ADDRESS.test(address) || !isIPv4(address)) {
      throw new SwitchyardError('discovery-failed', `EC2 instance ${id} (${name}) has a ${kind} address that is not valid: ${quote(address)}`, {
        hint: 'EC2 should report an IPv4 address: check the endpoint (discovery.ec2.endpoint) and the instance',
        details: { instanceId: id, address: kind },
      });
    }
    return { name, address, port: this.#options.sshPort, instanceId: id, ...(zone ? { zone } : {}) };
  }

  #noMatch(region: string | undefined): SwitchyardError {
    const o = this.#options;
    const tags = Object.entries(o.tags).map(([k, v]) => `${k}=${v}`).join(', ');
    const where = o.endpoint ? `at ${o.endpoint} (region ${region})` : `in region ${region}`;
    return new SwitchyardError('discovery-failed', `no running EC2 instance ${where} carries the tags ${tags}`, {
      hint: 'check the tags on the instances against discovery.ec2.tags (keys and values are case-sensitive) and the region',
      details: { tags: o.tags, region, endpoint: o.endpoint },
    });
  }
}

/**
 * Names key every per-node result and message (as StaticDiscovery insists),
 * but an autoscaling group gives all its instances one Name tag: a name
 * shared by several instances gets each one's id added ("k8s-node.i-0abc…"),
 * or becomes the id where that would be too long for a node name.
 */
function unambiguous(nodes: FleetNode[]): FleetNode[] {
  const count = new Map<string, number>();
  for (const n of nodes) count.set(n.name, (count.get(n.name) ?? 0) + 1);
  return nodes.map((n) => {
    if (count.get(n.name) === 1) return n;
    const named = `${n.name}.${n.instanceId}`;
    return { ...n, name: NODE_NAME.test(named) ? named : n.instanceId! };
  });
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const quote = (s: string): string => JSON.stringify(s.length > 70 ? `${s.slice(0, 70)}…` : s);

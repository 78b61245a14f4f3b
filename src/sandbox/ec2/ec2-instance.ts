/** EC2 instance states with the codes DescribeInstances reports for them. */
export const INSTANCE_STATE_CODES = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;
export type Ec2InstanceState = keyof typeof INSTANCE_STATE_CODES;

/** One instance as the EC2 stand-in holds it: the fields DescribeInstances answers with. */
export interface Ec2StandInInstance {
  instanceId: string;
  reservationId: string;
  state: Ec2InstanceState;
  /** Absent like on a real instance without one (e.g. no public IP assigned). */
  privateIpAddress?: string;
  publicIpAddress?: string;
  availabilityZone: string;
  tags: Record<string, string>;
  instanceType: string;
  imageId: string;
  launchTime: Date;
}

export interface Ec2InstanceSpec {
  /** `i-` and 8 or 17 hex digits, as EC2 issues them. */
  id: string;
  /** Sets the Name tag (tags may set it too). */
  name?: string;
  privateIp?: string;
  publicIp?: string;
  state?: Ec2InstanceState;
  tags?: Record<string, string>;
  zone?: string;
  /** Instances launched together share a reservation; each gets its own by default. */
  reservationId?: string;
  instanceType?: string;
  launchTime?: Date;
}

/**
 * Builds an instance for the stand-in, with the defaults a running node has.
 *
 * @example
 * ec2Instance({ id: 'i-0000000000000000a', name: 'node-a', privateIp: '10.0.1.11', tags: { Role: 'k8s-node' } })
 */
export function ec2Instance(spec: Ec2InstanceSpec): Ec2StandInInstance {
  const tags = { ...spec.tags, ...(spec.name === undefined ? {} : { Name: spec.name }) };
  return {
    instanceId: spec.id,
    reservationId: spec.reservationId ?? `r-${spec.id.slice(2)}`,
    state: spec.state ?? 'running',
    ...(spec.privateIp === undefined ? {} : { privateIpAddress: spec.privateIp }),
    ...(spec.publicIp === undefined ? {} : { publicIpAddress: spec.publicIp }),
    availabilityZone: spec.zone ?? 'us-east-1a',
    tags,
    instanceType: spec.instanceType ?? 't3.medium',
    imageId: 'ami-0abcdef1234567890',
    // A fixed default keeps responses the same from run to run.
    launchTime: spec.launchTime ?? new Date('2024-01-01T00:00:00.000Z'),
  };
}

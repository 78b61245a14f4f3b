/** A node switchyard switches: where to reach its sshd, and what to call it in messages. */
export interface FleetNode {
  /** EC2 Name tag, static name, or the instance id when untagged. */
  name: string;
  /** IPv4 address or host name, checked against NODE_ADDRESS before use. */
  address: string;
  /** sshd port (22 unless the site says otherwise). */
  port: number;
  instanceId?: string;
  zone?: string;
}

/** A source of nodes: EC2 by tag, or a static list. */
export interface Discovery {
  discover(): Promise<FleetNode[]>;
}

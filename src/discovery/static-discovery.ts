import { SwitchyardError } from '../errors/switchyard-error.js';
import { NODE_ADDRESS, NODE_NAME } from '../validate/patterns.js';
import type { Discovery, FleetNode } from './fleet-node.js';

/** A node as written in the config's `discovery.static` list. */
export interface StaticNode {
  name: string;
  address: string;
  /** sshd port; the discovery-wide sshPort when unset. */
  port?: number;
}

/**
 * Nodes from a fixed list, for sites without AWS (and the sandbox). The list
 * is checked once, when built: patterns (the config schema checks them too,
 * but this class is also built from code) and unique names, since names key
 * every per-node result and message.
 *
 * @example
 * const discovery = new StaticDiscovery([{ name: 'node-a', address: '10.0.1.11' }], 22);
 * await discovery.discover(); // [{ name: 'node-a', address: '10.0.1.11', port: 22 }]
 */
export class StaticDiscovery implements Discovery {
  readonly #nodes: readonly FleetNode[];

  constructor(nodes: readonly StaticNode[], sshPort: number) {
    const seen = new Set<string>();
    this.#nodes = nodes
      .map((n, i) => {
        const bad = (what: string, hint: string): SwitchyardError =>
          new SwitchyardError('discovery-failed', `static node ${i + 1} (${JSON.stringify(n.name)}): ${what}`, {
            hint,
            details: { key: `discovery.static[${i}]` },
          });
        if (!NODE_NAME.test(n.name)) throw bad('invalid name', 'use letters, digits, ".", "_" and "-" (at most 63)');
        if (!NODE_ADDRESS.test(n.address)) throw bad(`invalid address ${JSON.stringify(n.address)}`, 'use an IPv4 address or a host name');
        if (seen.has(n.name)) throw bad('name used twice', 'give every node in discovery.static its own name');
        seen.add(n.name);
        return { name: n.name, address: n.address, port: n.port ?? sshPort };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async discover(): Promise<FleetNode[]> {
    return this.#nodes.map((n) => ({ ...n }));
  }
}

import type { FleetNode } from '../../discovery/fleet-node.js';
import { describeAnswer, httpGetText } from './http-get-text.js';

export interface NodeAnswer {
  node: string;
  address: string;
  /** What the node's nginx answered ("blog 1.0.0"), or why it did not. */
  answer: string;
  ok: boolean;
}

/**
 * GET / through each node's nginx (port 80, the app's vhost), as a load
 * balancer would send a visitor: the answer names the version that serves.
 *
 * @example
 * for (const a of await probeNodes(nodes, 'blog')) console.log(formatNodeAnswer(a)); // node-1 10.213.7.11 -> blog 1.0.0
 */
export function probeNodes(nodes: readonly FleetNode[], host: string): Promise<NodeAnswer[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const a = await httpGetText(`http://${n.address}/`, { host });
      return { node: n.name, address: n.address, answer: describeAnswer(a), ok: 'status' in a && a.status === 200 };
    }),
  );
}

export const formatNodeAnswer = (a: NodeAnswer): string => `${a.node} ${a.address} -> ${a.answer}`;

import { describe, expect, it } from 'vitest';
import { sshFleetPort } from '../../src/agent/ssh-fleet-port.js';
import type { FleetNode } from '../../src/discovery/fleet-node.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import type { FleetSwitch } from '../../src/fleet/fleet-switch.js';
import { silentLogger } from '../../src/log/logger.js';

/** A discovery (EC2 in production) whose answers the test gives, one per call, when it likes. */
function pendingDiscovery() {
  const calls: { resolve: (nodes: FleetNode[]) => void; reject: (err: Error) => void }[] = [];
  const discovery = { discover: () => new Promise<FleetNode[]>((resolve, reject) => calls.push({ resolve, reject })) };
  return { discovery, calls };
}

const nodes: FleetNode[] = [{ name: 'node-a', address: '10.0.1.11', port: 22 }];
// Discovery alone: the switch is never reached.
const portOver = (discovery: { discover(): Promise<FleetNode[]> }) => sshFleetPort({ discovery, switcher: {} as FleetSwitch, log: silentLogger });

describe('sshFleetPort discover', () => {
  it('callers at the same moment share one discovery, each with its own list; the next call after it settles asks again', async () => {
    const { discovery, calls } = pendingDiscovery();
    const fleet = portOver(discovery);
    const both = Promise.all([fleet.discover(), fleet.discover(), fleet.discover()]);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve(nodes);
    const [a, b] = await both;
    expect(a).toEqual(nodes);
    expect(a).not.toBe(b);

    const later = fleet.discover();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve([]);
    expect(await later).toEqual([]);
  });

  it('a failed discovery fails every caller that shared it, and is not kept: the next call asks again', async () => {
    const { discovery, calls } = pendingDiscovery();
    const fleet = portOver(discovery);
    const shared = [fleet.discover(), fleet.discover()];
    calls[0]!.reject(new SwitchyardError('discovery-failed', 'EC2 answered 503'));
    for (const p of shared) await expect(p).rejects.toThrow('EC2 answered 503');
    const again = fleet.discover();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(nodes);
    expect(await again).toEqual(nodes);
  });
});

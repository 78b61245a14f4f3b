import { Config, type AppConfig } from '../../src/config/schema.js';
import type { ReplicaSetView, FleetView, ColoursView } from '../../src/deploy/ports.js';
import type { Actor, DeployRecord, Phase } from '../../src/state/app-state.js';
import type { Colour } from '../../src/validate/patterns.js';

/** An app as the config loader produces it, with the defaults filled in. */
export function appConfig(app: Record<string, unknown> = {}): AppConfig {
  const config = Config.parse({
    discovery: { static: [{ name: 'node-a', address: '10.0.1.11' }] },
    ssh: { user: 'deploy', privateKeyPath: 'k', knownHostsPath: 'kh' },
    apps: [{ name: 'blog', namespace: 'blog', portBase: 30000, template: 'apps/blog.yaml', ...app }],
  });
  return config.apps[0]!;
}

export const alice: Actor = { via: 'slack', id: 'U01ALICE', name: 'alice' };
export const bob: Actor = { via: 'cli', id: 'bob' };

export const T0 = new Date('2026-01-01T10:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
export const iso = (seconds: number): string => at(seconds).toISOString();

/** A blog deploy of v2 from blue (v1) to green, in `phase`, entered at T0. */
export function record(phase: Phase, over: Partial<DeployRecord> = {}): DeployRecord {
  return {
    id: 'blog-1',
    app: 'blog',
    kind: 'deploy',
    version: 'v2',
    fromColour: 'blue',
    fromVersion: 'v1',
    toColour: 'green',
    phase,
    requestedBy: alice,
    requestedAt: iso(-60),
    skipVerify: false,
    transitions: [
      { phase: 'pending', at: iso(-60), by: alice },
      ...(phase === 'pending' ? [] : [{ phase, at: iso(0) }]),
    ],
    ...over,
  };
}

export function rs(version: string, replicas: number, ready = replicas, generation = 1, observedGeneration = generation): ReplicaSetView {
  return { version, replicas, readyReplicas: ready, generation, observedGeneration, template: { spec: { containers: [{ name: 'web', image: `blog:${version}` }] } } };
}

export const colours = (blue: ReplicaSetView | null, green: ReplicaSetView | null): ColoursView => ({ blue, green });

/** Three nodes, all on `colour`, or each on its own colour. */
export function fleet(...perNode: (Colour | null)[]): FleetView {
  const list = perNode.length === 1 ? [perNode[0]!, perNode[0]!, perNode[0]!] : perNode;
  const nodes = list.map((colour, i) => ({ node: `node-${'abc'[i]}`, colour, ...(colour ? {} : { error: 'connection refused' }) }));
  const first = list[0] ?? null;
  const agreed = first !== null && list.every((c) => c === first) ? first : null;
  return { agreed, nodes };
}

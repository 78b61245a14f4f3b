import { expect } from 'vitest';
import { leaseName } from '../../src/cluster/colour-names.js';
import { parseUpstream } from '../../src/fleet/upstream-file.js';
import { isPodReady } from '../../src/sandbox/kube/pod-status.js';
import type { SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import type { AppState } from '../../src/state/app-state.js';
import { otherColour, type Colour } from '../../src/validate/patterns.js';
import { appStateIn } from './app-state-in-store.js';
import { servedByAll, upstreamFile } from './fleet.js';

export interface ConsistentApp {
  colour: Colour;
  version: string;
  state: AppState;
}

/**
 * The end of every deploy, finished or unwound, and of every fault: the
 * state the invariants of docs/architecture.md allow between deploys. Checks, from the
 * outside (files, the stand-in cluster's store, HTTP through nginx), that
 *
 * - every node's upstream file marks the same colour live (invariant 2),
 *   and every node's nginx really serves that colour's version;
 * - that colour's ReplicaSet has all its desired pods Ready (invariant 1);
 * - the other colour is gone, unless `retained` (a retention window keeps it
 *   for an instant rollback), and no pod outlives its ReplicaSet (invariant 4);
 * - the state record names the same live colour and version, nothing is in
 *   flight and the app's lock is free (invariants 5 and 6);
 * - every node's nginx config passes `nginx -t` (invariant 3).
 *
 * `app` names the app to check (blog by default). Returns the live colour,
 * its version and the record, for further checks.
 *
 * @example
 * const { colour, version } = await expectConsistent(env);
 * expect(version).toBe('1.0.0');
 */
export async function expectConsistent(env: SandboxEnv, options: { retained?: boolean; app?: string } = {}): Promise<ConsistentApp> {
  const { fleet, kube } = env;
  const app = env.config.apps.find((a) => a.name === (options.app ?? 'blog'))!;
  const store = kube.store;

  const files = await Promise.all(fleet.nodes.map((n) => upstreamFile(n, app.name)));
  const marks = files.map((text, i) => parseUpstream(text, app, fleet.nodes[i]!.name).live);
  expect(new Set(marks), `every node marks one colour live (${marks.join(', ')})`).toHaveProperty('size', 1);
  const colour = marks[0]!;

  const state = appStateIn(kube, app.name, app.namespace);
  expect(state.inFlight, 'nothing is in flight').toBeNull();
  expect(state.live?.colour, 'the record names the colour the nodes serve').toBe(colour);
  const version = state.live!.version;

  const rs = store.find('replicasets', app.namespace, `${app.name}-${colour}`);
  expect(rs, `${app.name}-${colour} exists`).toBeDefined();
  expect(rs!.metadata.labels?.['switchyard/version'], `${app.name}-${colour} runs the recorded version`).toBe(version);
  const desired = (rs!.spec as { replicas: number }).replicas;
  const pods = store.list('pods', app.namespace, { labelSelector: `name=${app.name}-${colour}` }).items;
  expect(pods.filter(isPodReady).length, `${app.name}-${colour}: every desired pod Ready`).toBe(desired);
  expect(pods.length, `${app.name}-${colour}: no extra pods`).toBe(desired);

  const other = otherColour(colour);
  const otherRs = store.find('replicasets', app.namespace, `${app.name}-${other}`);
  if (!options.retained) {
    expect(otherRs, `no orphan ${app.name}-${other}`).toBeUndefined();
    expect(store.list('pods', app.namespace, { labelSelector: `name=${app.name}-${other}` }).items, `no pods of ${app.name}-${other} left`).toEqual([]);
  }

  const lease = store.find('leases', app.namespace, leaseName(app.name));
  expect((lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity, 'the lock is free').toBeFalsy();

  for (const node of fleet.nodes) {
    await expect(fleet.inNode(node, 'sh', ['-c', fleet.nginxConfig.testCommand]), `nginx -t on ${node.name}`).resolves.toBeDefined();
  }
  expect(await servedByAll(fleet, app.name), 'every node serves the live version').toEqual(fleet.nodes.map(() => `${app.name} ${version}`));
  return { colour, version, state };
}

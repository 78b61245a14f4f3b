import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1ClusterRole, V1PolicyRule, V1Role } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { RequestTarget } from '../../src/sandbox/kube/fault-injector.js';
import { alice, bob, deployStories } from '../support/deploy-story.js';
import { describeOnFleet } from '../support/fleet.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rbac = parseAllDocuments(readFileSync(join(root, 'deploy', 'kubernetes', 'rbac.yaml'), 'utf8')).map((d) => d.toJS() as (V1ClusterRole | V1Role) & { kind: string });
const appRules = rbac.find((d) => d.kind === 'ClusterRole')!.rules!;
const leaderRules = rbac.find((d) => d.kind === 'Role')!.rules!;

/** "verb group/resource" for each permission a rule set grants, e.g. "get /configmaps", "create apps/replicasets". */
const granted = (rules: V1PolicyRule[]): string[] =>
  rules.flatMap((r) => r.apiGroups!.flatMap((g) => r.resources!.flatMap((res) => r.verbs.map((v) => `${v} ${g}/${res}`)))).sort();

const KINDS: Record<string, string> = { ConfigMap: '/configmaps', Lease: 'coordination.k8s.io/leases', Namespace: '/namespaces', Pod: '/pods', ReplicaSet: 'apps/replicasets', Service: '/services' };
const VERBS: Record<string, string> = { read: 'get', list: 'list', create: 'create', replace: 'update', patch: 'patch', delete: 'delete' };

/** Every source file of the code that runs against the cluster (the sandbox's stand-ins excepted). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'sandbox' ? [] : sources(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * The permissions the code asks for, read from its calls: client-node methods
 * (`readNamespacedConfigMap` is get on configmaps, `replaceNamespacedReplicaSetScale`
 * update on replicasets/scale) and the collection paths it
 * watches (`/api/v1/namespaces/${ns}/pods` in a listWatch).
 */
function permissionsInCode(): string[] {
  const found = new Set<string>();
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const [, verb, kind, scale] of text.matchAll(/\.(read|list|create|replace|patch|delete)(?:Namespaced)?(ConfigMap|Lease|Namespace|Pod|ReplicaSet|Service)(Scale)?\(/g)) {
      found.add(`${VERBS[verb!]} ${KINDS[kind!]}${scale ? '/scale' : ''}`);
    }
    for (const [, group, resource] of text.matchAll(/path: `\/apis?\/(?:([a-z.]+)\/)?v1\/namespaces\/\$\{\w+\}\/(\w+)`/g)) found.add(`watch ${group ?? ''}/${resource}`);
  }
  return [...found].sort();
}

describe('deploy/kubernetes/rbac.yaml', () => {
  it('grants exactly what the code calls, read from its client calls and watched paths', () => {
    expect(granted(appRules)).toEqual(permissionsInCode());
  });

  it('grants in the agent\'s own namespace only the Lease verbs the lock code uses (the leader lease)', () => {
    expect(granted(leaderRules)).toEqual(permissionsInCode().filter((p) => p.endsWith('/leases')));
  });
});

describeOnFleet('what switchyard asks the Kubernetes API for, against the Role', () => {
  const stories = deployStories();

  it('stays within the Role and uses every permission in it: a first deploy, a promote, a rollback, an aborted deploy, with the feed watching', async () => {
    const story = await stories.given();
    const requests: RequestTarget[] = story.env.kube.requests;
    // The sandbox's own set-up (namespaces, Services, the first colour) is not switchyard's.
    requests.length = 0;
    // What `serve` runs beside the deploys: the feed's watch of every app's state and colours.
    const watching = new AbortController();
    const watched = story.agent.watchCluster(watching.signal, (err) => {
      throw err;
    });
    const snapshots: string[] = [];
    const stop = story.agent.service.watch({ app: 'blog' }, async (s) => void snapshots.push(s.record.phase));
    try {
      await story.whenDeployed('2.0.0', alice);
      await story.untilPhase('verifying');
      await story.whenPromoted(bob);
      expect((await story.untilFinished()).phase).toBe('done');
      await story.whenRolledBack(bob);
      expect((await story.untilFinished()).phase).toBe('rolled-back');
      await story.whenDeployed('3.0.0', alice);
      await story.untilPhase('verifying');
      await story.whenAborted(bob);
      expect((await story.untilFinished()).phase).toBe('aborted');
    } finally {
      stop();
      watching.abort();
      await watched;
    }
    expect(snapshots).toContain('done');

    // Scaling a colour only follows a gate's roll back: the next test asks for it.
    expect(asked(requests)).toEqual(granted(appRules).filter((p) => p !== SCALE));
    // Each within the app's namespace, where the RoleBinding grants the rules (kube-apiserver
    // authorizes getting a namespace as a request in that namespace, hence the RoleBinding covers it).
    expect(new Set(requests.map((r) => (r.resource === 'namespaces' ? r.name : r.namespace)))).toEqual(new Set(['blog']));
    expect(story.env.kube.unserved).toEqual([]);
  });

  it('stays within the Role when a gate rolls back and keeps the new colour scaled to gate.keepReplicas, the one permission that needs', async () => {
    const story = await stories.given({ app: { verify: { required: false }, gate: { window: '10m', checkEvery: '500ms', keepReplicas: 1 } } });
    const requests: RequestTarget[] = story.env.kube.requests;
    requests.length = 0;
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('gating');
    await story.agent.service.endGate('blog', bob, 'rollback');
    const record = await story.untilFinished();
    expect(record.phase).toBe('auto-rolled-back');
    expect(record.transitions.at(-1)?.note).toBe('every node back on blue; blog-green 2.0.0 kept scaled to 1 replicas for inspection');
    // Kept: the ReplicaSet at 2.0.0 asks for one pod now (the sandbox's app runs two), and the controller follows.
    expect(story.replicaSet('green')?.version).toBe('2.0.0');
    expect((story.env.kube.store.get('replicasets', 'blog', 'blog-green').spec as { replicas: number }).replicas).toBe(1);
    await waitFor(() => story.env.kube.store.list('pods', 'blog', { labelSelector: 'name=blog-green' }).items.length === 1);

    expect(asked(requests)).toContain(SCALE);
    expect(granted(appRules)).toEqual(expect.arrayContaining(asked(requests)));
    expect(requests.filter((r) => r.subresource === 'scale').map((r) => `${r.verb} ${r.namespace}/${r.name}`)).toEqual(['update blog/blog-green']);
    expect(story.env.kube.unserved).toEqual([]);
  });
});

const SCALE = 'update apps/replicasets/scale';

/** "verb group/resource[/subresource]" of each request, once each. */
const asked = (requests: RequestTarget[]): string[] =>
  [...new Set(requests.map((r) => `${r.verb} ${r.group}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}`))].sort();

/** Polls a condition on the stand-in's store (its controller acts on its own time). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

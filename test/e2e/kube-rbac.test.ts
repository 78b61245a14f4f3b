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
 * (`readNamespacedConfigMap` is get on configmaps) and the collection paths it
 * watches (`/api/v1/namespaces/${ns}/pods` in a listWatch).
 */
function permissionsInCode(): string[] {
  const found = new Set<string>();
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const [, verb, kind] of text.matchAll(/\.(read|list|create|replace|patch|delete)(?:Namespaced)?(ConfigMap|Lease|Namespace|Pod|ReplicaSet|Service)\(/g)) {
      found.add(`${VERBS[verb!]} ${KINDS[kind!]}`);
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

    const asked = [...new Set(requests.map((r) => `${r.verb} ${r.group}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}`))].sort();
    expect(asked).toEqual(granted(appRules));
    // Each within the app's namespace, where the RoleBinding grants the rules (kube-apiserver
    // authorizes getting a namespace as a request in that namespace, hence the RoleBinding covers it).
    expect(new Set(requests.map((r) => (r.resource === 'namespaces' ? r.name : r.namespace)))).toEqual(new Set(['blog']));
    expect(story.env.kube.unserved).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlMissing, startKubectlHarness, type KubectlHarness } from './kubectl-harness.js';

/** Every kind the stand-in serves, as someone would keep them in a file for `kubectl apply`. */
const manifests = (v: { mode: string; image: string; replicas: number; holder: string; targetPort: number; env: boolean }) => `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-config, namespace: shop}
data: {mode: ${v.mode}}
---
apiVersion: v1
kind: Service
metadata: {name: shop-blue, namespace: shop}
spec:
  type: NodePort
  selector: {name: shop-blue}
  ports: [{port: 80, targetPort: ${v.targetPort}, nodePort: 30100}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: shop-lock, namespace: shop}
spec: {holderIdentity: ${v.holder}, leaseDurationSeconds: 30}
---
apiVersion: v1
kind: Pod
metadata: {name: shop-debug, namespace: shop}
spec:
  containers: [{name: sh, image: 'busybox:1'}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: shop-blue, namespace: shop, labels: {app: shop}}
spec:
  replicas: ${v.replicas}
  selector: {matchLabels: {name: shop-blue}}
  template:
    metadata: {labels: {name: shop-blue, app: shop}}
    spec:
      containers:
      - name: web
        image: '${v.image}'
        ports: [{containerPort: 8080}]
${v.env ? '        env: [{name: MODE, value: blue}]' : ''}
`;

const first = { mode: 'blue', image: 'shop:1', replicas: 2, holder: 'agent-a', targetPort: 8080, env: true };
const second = { mode: 'green', image: 'shop:2', replicas: 3, holder: 'agent-b', targetPort: 9090, env: false };

/**
 * `kubectl apply` end to end, with its default validation (the server's, as
 * the OpenAPI says it validates fields), `kubectl scale` and `kubectl
 * explain`, on the oldest, the default and the newest kubectl the
 * dispatcher runs: 1.27 reads /openapi/v2 as protobuf before every apply.
 */
describe.skipIf(kubectlMissing).each(['27', '31', '33'])('kubectl 1.%s apply, scale and explain against the stand-in', (minor) => {
  let h: KubectlHarness;
  const pods = () => h.kube.store.list('pods', 'shop', { labelSelector: 'name=shop-blue' }).items.filter((p) => !p.metadata.deletionTimestamp).length;
  const until = async (what: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(what()).toBe(true);
  };

  beforeAll(async () => {
    h = await startKubectlHarness({ serverVersion: { major: '1', minor } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates every kind, and records the last applied configuration', async () => {
    const out = await h.kubectl('apply', '-f', await h.file('shop.yaml', manifests(first)));
    expect(out.trim().split('\n')).toEqual([
      'namespace/shop created',
      'configmap/shop-config created',
      'service/shop-blue created',
      'lease.coordination.k8s.io/shop-lock created',
      'pod/shop-debug created',
      'replicaset.apps/shop-blue created',
    ]);
    const applied = JSON.parse(h.kube.store.get('replicasets', 'shop', 'shop-blue').metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']!) as Record<string, any>;
    expect(applied).toMatchObject({ kind: 'ReplicaSet', spec: { replicas: 2 } });
    await until(() => pods() === 2);
  });

  it('applies changes by strategic merge: changed fields set, removed ones gone, the rest kept', async () => {
    const out = await h.kubectl('apply', '-f', await h.file('shop.yaml', manifests(second)));
    expect(out.trim().split('\n')).toEqual([
      'namespace/shop unchanged',
      'configmap/shop-config configured',
      'service/shop-blue configured',
      'lease.coordination.k8s.io/shop-lock configured',
      'pod/shop-debug unchanged',
      'replicaset.apps/shop-blue configured',
    ]);
    const rs = h.kube.store.get('replicasets', 'shop', 'shop-blue');
    expect(rs.spec).toMatchObject({ replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'shop:2', ports: [{ containerPort: 8080 }] }] } } });
    expect((rs.spec as any).template.spec.containers[0].env).toBeUndefined();
    expect(h.kube.store.get('services', 'shop', 'shop-blue').spec).toMatchObject({ ports: [{ port: 80, targetPort: 9090, nodePort: 30100 }] });
    expect(h.kube.store.get('leases', 'shop', 'shop-lock').spec).toMatchObject({ holderIdentity: 'agent-b' });
    await until(() => pods() === 3);
    expect((await h.kubectl('apply', '-f', await h.file('shop.yaml', manifests(second)))).match(/unchanged/g)).toHaveLength(6);
  });

  it('refuses a manifest with a field the kind lacks, as strict validation does', async () => {
    const typo = manifests({ ...second, replicas: 1 }).replace('  replicas: 1', '  replicas: 1\n  replica: 2').replace(/shop-blue/g, 'shop-typo');
    const err = await h.kubectlFails('apply', '-f', await h.file('typo.yaml', typo));
    expect(err).toContain('strict decoding error: unknown field "spec.replica"');
    expect(h.kube.store.find('replicasets', 'shop', 'shop-typo')).toBeUndefined();
  });

  it('scales a ReplicaSet through its scale subresource, with and without a precondition, and the controller follows', async () => {
    expect(await h.kubectl('scale', 'rs/shop-blue', '-n', 'shop', '--replicas=4')).toBe('replicaset.apps/shop-blue scaled\n');
    await until(() => pods() === 4);
    expect(await h.kubectl('scale', 'rs/shop-blue', '-n', 'shop', '--current-replicas=4', '--replicas=1')).toBe('replicaset.apps/shop-blue scaled\n');
    await until(() => pods() === 1);
    expect(await h.kubectlFails('scale', 'rs/shop-blue', '-n', 'shop', '--current-replicas=3', '--replicas=2')).toContain('Expected replicas to be 3, was 1');
  });

  it('explains fields from the v3 document and, asked to, from the v2 one', async () => {
    expect(await h.kubectl('explain', 'rs.spec.template.spec.containers.ports')).toMatch(/containerPort\s+<integer>/);
    expect(await h.kubectl('explain', 'lease.spec', '--output=plaintext-openapiv2')).toMatch(/holderIdentity\s+<string>/);
  });

  it('needed nothing the stand-in does not serve', () => {
    expect(h.kube.unserved).toEqual([]);
  });
});

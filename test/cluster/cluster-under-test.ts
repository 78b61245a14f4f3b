import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectKube, type KubeClients } from '../../src/cluster/kube-clients.js';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { colourPort, COLOURS } from '../../src/validate/patterns.js';

/**
 * The cluster the cluster-layer tests run against: the stand-in (npm test), or
 * the real cluster of KUBECONFIG under `npm run test:cluster`, in a namespace
 * of its own that is deleted afterwards. Tests that need the stand-in's hooks
 * (failing images, closing watches, faults) skip on a real cluster.
 */
export interface ClusterUnderTest {
  kube: KubeClients;
  namespace: string;
  standIn: KubeStandIn | undefined;
  close(): Promise<void>;
}

export const REAL = process.env.SWITCHYARD_CLUSTER_TESTS === 'real';
/** A small public image whose tags are the versions the tests deploy. */
export const IMAGE = 'registry.k8s.io/pause';
export const VERSIONS = ['3.9', '3.10'] as const;

export async function startClusterUnderTest(readyDelayMs = 20): Promise<ClusterUnderTest> {
  const namespace = `switchyard-test-${Date.now().toString(36)}`;
  if (REAL) {
    if (!process.env.KUBECONFIG) throw new Error('npm run test:cluster needs KUBECONFIG pointing at a cluster');
    const kube = connectKube({ kubeconfigPath: process.env.KUBECONFIG });
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    return { kube, namespace, standIn: undefined, close: () => kube.core.deleteNamespace({ name: namespace }).then(() => undefined) };
  }
  const standIn = await startKubeStandIn({ readyDelayMs });
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-kube-'));
  try {
    const kube = connectKube({ kubeconfigPath: await standIn.writeKubeconfig(join(dir, 'kubeconfig')) });
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    return {
      kube,
      namespace,
      standIn,
      close: async () => {
        await standIn.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Both colour Services as the salt states lay them down. */
export async function createColourServices(kube: KubeClients, namespace: string, app: string, portBase: number): Promise<void> {
  for (const colour of COLOURS) {
    await kube.core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: `${app}-${colour}` },
        spec: { type: 'NodePort', selector: { name: `${app}-${colour}` }, ports: [{ port: 80, targetPort: 8080, nodePort: colourPort(portBase, colour) }] },
      },
    });
  }
}

/** The pod template of an app's template file, as config would give it. */
export const appTemplate = (app: string) => ({
  labels: { app, team: 'web' },
  template: {
    metadata: { labels: { app, tier: 'frontend' } },
    spec: { containers: [{ name: 'web', image: `${IMAGE}:0.0` }, { name: 'sidecar', image: `${IMAGE}:3.9` }] },
  },
});

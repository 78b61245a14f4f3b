import type { V1ReplicaSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClusterPort } from '../../src/agent/kube-cluster-port.js';
import { readColours } from '../../src/cluster/read-colours.js';
import { waitForColourReady } from '../../src/cluster/wait-for-colour-ready.js';
import type { AppConfig } from '../../src/config/schema.js';
import type { ClusterPort, ReplicaSetView } from '../../src/deploy/ports.js';
import { appConfig } from '../deploy/fixtures.js';
import { createColourServices, IMAGE, REAL, startClusterUnderTest, VERSIONS, type ClusterUnderTest } from './cluster-under-test.js';

const timeoutMs = REAL ? 180_000 : 10_000;
const DIGEST = `sha256:${'0'.repeat(64)}`;

/**
 * A colour someone made by hand before switchyard's first deploy: no
 * switchyard labels, a sidecar first and the app's container (`web`) second.
 */
function handMadeBlue(namespace: string, webImage: string): V1ReplicaSet {
  return {
    metadata: { name: 'blog-blue', namespace, labels: { app: 'blog' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { name: 'blog-blue' } },
      template: {
        metadata: { labels: { name: 'blog-blue', app: 'blog' } },
        spec: { containers: [{ name: 'proxy', image: `${IMAGE}:${VERSIONS[0]}` }, { name: 'web', image: webImage }] },
      },
    },
  };
}

const images = (rs: V1ReplicaSet | undefined): string[] => (rs?.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '');

/**
 * A first deploy adopts the colour the nodes serve and records its version
 * and pod template as the previous colour; a rollback after that colour was
 * retired re-creates it from the record. Through the agent's cluster port,
 * as a deploy and a rollback use it.
 */
describe('a colour made by hand: its version, and re-creating it from the record', () => {
  let c: ClusterUnderTest;
  let app: AppConfig;
  let cluster: ClusterPort;
  beforeAll(async () => {
    c = await startClusterUnderTest();
    // NodePorts of their own: Services of other test files' namespaces may still be going away on a real cluster.
    await createColourServices(c.kube, c.namespace, 'blog', 31020);
    app = appConfig({ namespace: c.namespace, portBase: 31020, container: 'web' });
    cluster = kubeClusterPort(c.kube);
  });
  afterAll(async () => {
    await c?.close();
  });

  /** What decide records as AppState.previous when it retires the adopted colour, then the retirement. */
  async function recordAndRetireBlue(): Promise<ReplicaSetView> {
    const blue = (await cluster.observe(app)).blue!;
    await cluster.deleteColour(app, 'blue');
    expect((await readColours(c.kube, 'blog', c.namespace)).blue).toBeNull();
    return blue;
  }

  it('takes the version from the image tag of the configured container, else the first, and says where it came from', async () => {
    await c.kube.apps.createNamespacedReplicaSet({ namespace: c.namespace, body: handMadeBlue(c.namespace, `${IMAGE}:${VERSIONS[1]}`) });
    await waitForColourReady(c.kube, { app: 'blog', namespace: c.namespace, colour: 'blue' }, { timeoutMs });

    expect((await cluster.observe(app)).blue).toMatchObject({ version: VERSIONS[1], replicas: 2, readyReplicas: 2 });
    const read = await readColours(c.kube, 'blog', c.namespace, 'web');
    expect(read.blue).toMatchObject({
      version: VERSIONS[1],
      versionNote: `read from the image tag of container web (${IMAGE}:${VERSIONS[1]}): blog-blue has no switchyard/version label`,
    });
    expect((await readColours(c.kube, 'blog', c.namespace)).blue?.version).toBe(VERSIONS[0]);
  });

  it('re-creates the retired colour from its recorded template with every image exactly as recorded', async () => {
    const recorded = await recordAndRetireBlue();
    await cluster.createColour(app, 'blue', recorded.version, { kind: 'recorded', template: recorded.template, replicas: 2 });

    const blue = (await readColours(c.kube, 'blog', c.namespace, 'web')).blue!;
    expect(images(blue.replicaSet)).toEqual([`${IMAGE}:${VERSIONS[0]}`, `${IMAGE}:${VERSIONS[1]}`]);
    expect(blue).toMatchObject({ version: VERSIONS[1], replicas: 2 });
    expect(blue.versionNote).toBeUndefined();
    expect(blue.replicaSet.metadata?.labels).toMatchObject({ 'switchyard/version': VERSIONS[1], 'app.kubernetes.io/managed-by': 'switchyard' });
    await expect(waitForColourReady(c.kube, { app: 'blog', namespace: c.namespace, colour: 'blue' }, { timeoutMs })).resolves.toMatchObject({ ready: 2 });
  });

  it('makes no version up for an image pinned by digest alone, and re-creates it pinned to that digest, not to ":unknown"', async () => {
    await cluster.deleteColour(app, 'blue');
    const pinned = `${IMAGE}@${DIGEST}`;
    await c.kube.apps.createNamespacedReplicaSet({ namespace: c.namespace, body: handMadeBlue(c.namespace, pinned) });

    const read = (await readColours(c.kube, 'blog', c.namespace, 'web')).blue!;
    expect(read.version).toBeNull();
    expect(read.versionNote).toBe(`version unknown: blog-blue has no switchyard/version label and the image of container web (${pinned}) is pinned by digest and has no tag`);
    const recorded = await recordAndRetireBlue();
    expect(recorded.version).toBe('unknown');

    await cluster.createColour(app, 'blue', recorded.version, { kind: 'recorded', template: recorded.template, replicas: 2 });
    const blue = (await readColours(c.kube, 'blog', c.namespace, 'web')).blue!;
    expect(images(blue.replicaSet)).toEqual([`${IMAGE}:${VERSIONS[0]}`, pinned]);
    expect(blue.version).toBe('unknown');
  });

  it('still sets the tag to the version when mirroring for a deploy', async () => {
    await cluster.createColour(app, 'green', VERSIONS[0], { kind: 'mirror', colour: 'blue' });
    const green = (await readColours(c.kube, 'blog', c.namespace, 'web')).green!;
    expect(images(green.replicaSet)).toEqual([`${IMAGE}:${VERSIONS[0]}`, `${IMAGE}:${VERSIONS[0]}`]);
  });

  it.skipIf(REAL)('served every request it was sent', () => {
    expect(c.standIn!.unserved).toEqual([]);
  });
});

/**
 * readiness: from the stand-in marking the last pod of a colour Ready to the
 * cluster layer's wait resolving (watch latency), over 50 runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureColourCreated } from '../src/cluster/create-colour.js';
import { ensureColourRetired } from '../src/cluster/ensure-colour-retired.js';
import { connectKube } from '../src/cluster/kube-clients.js';
import { waitForColourReady } from '../src/cluster/wait-for-colour-ready.js';
import { isPodReady } from '../src/sandbox/kube/pod-status.js';
import { startKubeStandIn } from '../src/sandbox/kube/start-kube-stand-in.js';
import { percentile } from './figures.js';

const RUNS = 50;
const REPLICAS = 3;

const round = (ms: number): number => Math.round(ms * 100) / 100;

export default async function* readiness(): AsyncGenerator<{ name: string } & Record<string, unknown>> {
  const kube = await startKubeStandIn({ readyDelayMs: 30 });
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-'));
  try {
    const clients = connectKube({ kubeconfigPath: await kube.writeKubeconfig(join(dir, 'kubeconfig')) });
    kube.store.create('namespaces', undefined, { metadata: { name: 'bench' } });
    // When the last pod of the colour turned Ready, seen from inside the stand-in.
    let lastReadyAt = 0;
    kube.store.subscribe((e) => {
      if (e.resource.kind !== 'Pod' || e.object.metadata.labels?.name !== 'bench-green') return;
      const ready = kube.store.list('pods', 'bench', { labelSelector: 'name=bench-green' }).items.filter(isPodReady).length;
      if (ready === REPLICAS && isPodReady(e.object) && !(e.previous && isPodReady(e.previous))) lastReadyAt = performance.now();
    });
    const samples: number[] = [];
    const ref = { app: 'bench', namespace: 'bench', colour: 'green' as const };
    for (let i = 0; i < RUNS; i++) {
      lastReadyAt = 0;
      await ensureColourCreated(clients, {
        ...ref, version: `v${i}`, replicas: REPLICAS,
        template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'web', image: `bench:v${i}` }] } },
      });
      await waitForColourReady(clients, ref, { timeoutMs: 30_000 });
      const resolvedAt = performance.now();
      if (lastReadyAt === 0) throw new Error('the wait resolved before the last pod was seen Ready');
      samples.push(resolvedAt - lastReadyAt);
      await ensureColourRetired(clients, ref, { timeoutMs: 30_000 });
    }
    const sorted = [...samples].sort((a, b) => a - b);
    yield { name: 'readiness', runs: RUNS, replicas: REPLICAS, medianMs: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1)!) };
  } finally {
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  }
}

import type { KubeStore } from './kube-store.js';
import { imageTags, isPodReady } from './pod-status.js';

/**
 * The versions the Ready pods of one colour of an app run right now (from the
 * `switchyard/version` label, else the first image tag), for the sandbox's
 * NodePort responders that stand in for kube-proxy: an empty list means the
 * colour has no Ready pod and its port should fail.
 *
 * @example
 * const off = kube.store.subscribe(() => { current = readyPodVersions(kube.store, 'blog', 'blog', 'green'); });
 */
export function readyPodVersions(store: KubeStore, namespace: string, app: string, colour: string): string[] {
  const pods = store.list('pods', namespace, { labelSelector: `name=${app}-${colour}` }).items.filter(isPodReady);
  return [...new Set(pods.map((p) => p.metadata.labels?.['switchyard/version'] ?? imageTags(p)[0] ?? ''))].sort();
}

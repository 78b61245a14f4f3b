import type { KubeObject } from './kube-object.js';

/** Small readers over pod JSON shared by the controller, the kubelet stand-in and the sandbox. */
type Obj = Record<string, unknown>;

export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const conditions = ((pod.status as Obj | undefined)?.conditions ?? []) as { type: string; status: string }[];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isPodActive(pod: KubeObject): boolean {
  const phase = (pod.status as Obj | undefined)?.phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded';
}

export function controllerUid(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

/** The tag of each container image (`repo/app:1.2` → `1.2`; no tag → `latest`). */
export function imageTags(pod: KubeObject): string[] {
  const containers = ((pod.spec as Obj | undefined)?.containers ?? []) as { image?: string }[];
  return containers.map((c) => {
    const image = (c.image ?? '').split('@')[0]!;
    const slash = image.lastIndexOf('/');
    const colon = image.lastIndexOf(':');
    return colon > slash ? image.slice(colon + 1) : 'latest';
  });
}

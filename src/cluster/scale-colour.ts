import { type ColourRef, colourName } from './colour-names.js';
import { isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/**
 * Sets a colour's desired replicas through the ReplicaSet's `scale`
 * subresource (a PUT of an autoscaling/v1 Scale, as `kubectl scale` does):
 * only spec.replicas changes, and RBAC can grant it alone
 * (`replicasets/scale`: update). The pods follow; this does not wait for
 * them. A colour that is already gone is fine.
 *
 * @example
 * await scaleColour(kube, { app: 'blog', namespace: 'blog', colour: 'green' }, 1);
 */
export async function scaleColour(kube: KubeClients, ref: ColourRef, replicas: number): Promise<void> {
  const name = colourName(ref.app, ref.colour);
  try {
    await kube.apps.replaceNamespacedReplicaSetScale({
      name,
      namespace: ref.namespace,
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace: ref.namespace }, spec: { replicas } },
    });
  } catch (err) {
    if (!isNotFound(err)) throw kubeError(err, 'scale', `ReplicaSet ${ref.namespace}/${name}`);
  }
}

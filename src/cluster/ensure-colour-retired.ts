import { SwitchyardError } from '../errors/switchyard-error.js';
import { colourName, type ColourRef } from './colour-names.js';
import type { ColourReadiness } from './colour-readiness.js';
import { isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';
import { watchColourUntil, watchFailedError, type WatchUntilOptions } from './watch-colour-until.js';

/**
 * Deletes a colour: its ReplicaSet with Foreground propagation (pods first),
 * then waits until the ReplicaSet and every pod with the colour's label are
 * gone. Idempotent: a colour that is already gone is fine.
 *
 * @example
 * await ensureColourRetired(kube, { app: 'blog', namespace: 'blog', colour: 'blue' }, { timeoutMs: 120_000 });
 */
export async function ensureColourRetired(kube: KubeClients, ref: ColourRef, options: WatchUntilOptions): Promise<ColourReadiness> {
  const name = colourName(ref.app, ref.colour);
  try {
    await kube.apps.deleteNamespacedReplicaSet({ name, namespace: ref.namespace, propagationPolicy: 'Foreground' });
  } catch (err) {
    if (!isNotFound(err)) throw kubeError(err, 'delete', `ReplicaSet ${ref.namespace}/${name}`);
  }
  return watchColourUntil(
    kube,
    ref,
    (r) => (!r.exists && r.pods === 0 ? 'done' : undefined),
    (last, lastError) =>
      lastError
        ? watchFailedError(ref, last, lastError)
        : new SwitchyardError('kube-api-failed', `${name} in ${ref.namespace} not gone after ${Math.round(options.timeoutMs / 1000)} s (${last?.exists ? 'ReplicaSet still there, ' : ''}${last?.pods ?? '?'} pods left)`, {
        hint: 'look for finalizers or stuck terminating pods with kubectl describe',
      }),
    options,
  );
}

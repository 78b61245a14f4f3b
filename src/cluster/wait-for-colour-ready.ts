import { SwitchyardError } from '../errors/switchyard-error.js';
import { colourName, type ColourRef } from './colour-names.js';
import type { ColourReadiness } from './colour-readiness.js';
import type { KubeClients } from './kube-clients.js';
import { watchColourUntil, watchFailedError, type WatchUntilOptions } from './watch-colour-until.js';

const HINTS: Record<string, string> = {
  CrashLoopBackOff: 'the container keeps exiting: read its logs (kubectl logs --previous), fix the release and deploy again',
  ImagePullBackOff: 'the image cannot be pulled: check that the version was built and pushed, and the registry credentials',
  ErrImagePull: 'the image cannot be pulled: check that the version was built and pushed, and the registry credentials',
  InvalidImageName: 'the image name is invalid: check the app template and the version',
  CreateContainerConfigError: 'a ConfigMap or Secret the pod needs is missing',
  Failed: 'the pod exited with an error: read its logs and events',
};

/**
 * Waits until every pod of a colour is Ready at the ReplicaSet's current
 * generation, by watch (re-established when a stream ends). Reports progress
 * (`3/5 ready`), fails fast naming the pod and its reason on
 * CrashLoopBackOff, ImagePullBackOff, ErrImagePull or a failed pod, and on
 * timeout; rejects with the signal's reason when cancelled.
 *
 * @example
 * const r = await waitForColourReady(kube, { app: 'blog', namespace: 'blog', colour: 'green' }, {
 *   timeoutMs: 600_000, signal, onProgress: (r) => log(`${r.ready}/${r.replicas} ready`),
 * });
 */
export async function waitForColourReady(kube: KubeClients, ref: ColourRef, options: WatchUntilOptions): Promise<ColourReadiness> {
  const name = colourName(ref.app, ref.colour);
  let lastProgress = '';
  const progress = options.onProgress;
  return watchColourUntil(
    kube,
    ref,
    (r) => {
      if (!r.exists) {
        return new SwitchyardError('kube-not-found', `ReplicaSet ${ref.namespace}/${name} does not exist (or was deleted) while waiting for its pods`, {
          hint: 'someone removed the colour: start the deploy again',
        });
      }
      if (r.deleting) return new SwitchyardError('pods-not-ready', `ReplicaSet ${ref.namespace}/${name} is being deleted while waiting for its pods`, { hint: 'someone removed the colour: start the deploy again' });
      if (r.failure) {
        const { pod, reason, message } = r.failure;
        return new SwitchyardError('pods-not-ready', `pod ${ref.namespace}/${pod} of ${name} (version ${r.version ?? 'unknown'}) will not become Ready: ${reason}`, {
          hint: HINTS[reason] ?? 'look at the pod with kubectl describe',
          details: { pod, reason, ...(message ? { message } : {}), ready: r.ready, replicas: r.replicas },
        });
      }
      return r.settled ? 'done' : undefined;
    },
    (last, lastError) =>
      lastError
        ? watchFailedError(ref, last, lastError)
        : new SwitchyardError('pods-not-ready', `${name} in ${ref.namespace}: ${last ? `${last.ready}/${last.replicas}` : 'no'} pods Ready after ${Math.round(options.timeoutMs / 1000)} s`, {
            hint: 'the pods are slow to start or their readiness probe fails: look at them with kubectl describe pod, or raise readyTimeout',
          }),
    {
      ...options,
      onProgress: (r) => {
        const text = `${r.ready}/${r.replicas}`;
        if (text !== lastProgress) {
          lastProgress = text;
          progress?.(r);
        }
      },
    },
  );
}

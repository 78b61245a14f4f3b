import { SwitchyardError } from '../errors/switchyard-error.js';
import { colourName, type ColourRef } from './colour-names.js';
import { watchColourReadiness, type ColourReadiness } from './colour-readiness.js';
import { colourWatchError, statusCode } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

export interface WatchUntilOptions {
  timeoutMs: number;
  /** Cancels the wait (the deploy machine's abort). */
  signal?: AbortSignal;
  onProgress?: (r: ColourReadiness) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Watches a colour until `decide` answers 'done' (resolve) or an error
 * (reject), the timeout passes (reject with `onTimeout`'s error), or the
 * signal aborts (reject with the signal's reason). The watch is always stopped.
 */
export function watchColourUntil(
  kube: KubeClients,
  ref: ColourRef,
  decide: (r: ColourReadiness) => 'done' | SwitchyardError | undefined,
  onTimeout: (last: ColourReadiness | undefined, lastError: unknown) => SwitchyardError,
  options: WatchUntilOptions,
): Promise<ColourReadiness> {
  return new Promise<ColourReadiness>((resolve, reject) => {
    const stop = new AbortController();
    let last: ColourReadiness | undefined;
    let lastError: unknown;
    const finish = (outcome: { ok: ColourReadiness } | { err: unknown }) => {
      if (stop.signal.aborted) return;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancelled);
      stop.abort();
      if ('ok' in outcome) resolve(outcome.ok);
      else reject(outcome.err);
    };
    const cancelled = () => finish({ err: abortReason(options.signal!, ref) });
    const timer = setTimeout(() => finish({ err: onTimeout(last, lastError) }), options.timeoutMs);
    if (options.signal?.aborted) return cancelled();
    options.signal?.addEventListener('abort', cancelled, { once: true });
    watchColourReadiness(
      kube,
      ref,
      (r) => {
        last = r;
        lastError = undefined;
        // Thrown here, an error would be swallowed by the watch's line reader (or retried as a failed list): end the wait with it.
        try {
          options.onProgress?.(r);
          const verdict = decide(r);
          if (verdict === 'done') finish({ ok: r });
          else if (verdict) finish({ err: verdict });
        } catch (err) {
          finish({ err });
        }
      },
      {
        signal: stop.signal,
        onError: (err) => {
          lastError = err;
          const code = statusCode(err);
          // Permissions do not fix themselves: stop at once rather than retry until the timeout.
          if (code === 401 || code === 403) finish({ err: colourWatchError(err, ref) });
        },
        ...(options.sleep ? { sleep: options.sleep } : {}),
      },
    ).catch((err: unknown) => finish({ err }));
  });
}

function abortReason(signal: AbortSignal, ref: ColourRef): unknown {
  // The deploy machine may abort with its own error; a bare abort() becomes one that names the colour.
  if (signal.reason instanceof SwitchyardError) return signal.reason;
  return new SwitchyardError('deploy-aborted', `waiting for ${colourName(ref.app, ref.colour)} in ${ref.namespace} was cancelled`);
}

/**
 * The error of a wait that ran out while its watch was failing: what was
 * last seen is stale, so the answer is the API's failure with its cause, and
 * the last reading marked as such, never a verdict on the pods.
 */
export function watchFailedError(ref: ColourRef, last: ColourReadiness | undefined, lastError: unknown): SwitchyardError {
  const e = colourWatchError(lastError, ref);
  if (!last) return e;
  const seen = last.exists ? `${last.ready}/${last.replicas} pods Ready` : `ReplicaSet gone, ${last.pods} pods left`;
  return new SwitchyardError(e.code, `${e.message} (${seen} when last read)`, { ...(e.hint ? { hint: e.hint } : {}), cause: lastError, details: e.details });
}

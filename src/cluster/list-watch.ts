import type { Watch } from '@kubernetes/client-node';
import { statusCode } from './kube-error.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Listed<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface ListWatchOptions<T> {
  list: () => Promise<Listed<T>>;
  /** API path of the collection, e.g. `/api/v1/namespaces/blog/pods`. */
  path: string;
  query: Record<string, string>;
  /** After every (re)list: the complete current set. */
  onSync: (items: T[]) => void;
  onEvent: (type: WatchEventType, object: T) => void;
  signal: AbortSignal;
  /** A list or watch failed; it is retried with backoff. */
  onError?: (err: unknown) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** How long the server keeps one watch stream open (default 60 s); one still open well after that is on a dead connection. */
  watchTimeoutSeconds?: number;
}

/** Sleeps, waking early when the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

type Outcome = 'ended' | 'expired' | { error: unknown };

/**
 * List, then watch from the list's resourceVersion; when the server ends the
 * stream, watch again from the last version seen; when that version is too old
 * (410 Gone, as an ERROR event or an HTTP answer), list again. Runs until the
 * signal aborts. This is client-go's reflector, small: like it, each watch asks
 * the server to end it (timeoutSeconds), because client-node 1.4 puts no limit
 * on a watch and a connection that died silently would otherwise never end.
 *
 * @example
 * await listWatch(kube.watch, { list: () => kube.core.listNamespacedPod({ namespace }), path: `/api/v1/namespaces/${namespace}/pods`,
 *   query: { labelSelector }, onSync, onEvent, signal });
 */
export async function listWatch<T extends { metadata?: { resourceVersion?: string } }>(watch: Watch, o: ListWatchOptions<T>): Promise<void> {
  const sleep = o.sleep ?? abortableSleep;
  const timeoutSeconds = o.watchTimeoutSeconds ?? 60;
  let backoffMs = 50;
  const pause = async () => {
    await sleep(backoffMs, o.signal);
    backoffMs = Math.min(backoffMs * 2, 2000);
  };
  const failed = async (err: unknown) => {
    o.onError?.(err);
    await pause();
  };
  while (!o.signal.aborted) {
    let rv: string;
    try {
      const listed = await o.list();
      rv = listed.metadata?.resourceVersion ?? '';
      o.onSync(listed.items);
    } catch (err) {
      if (!o.signal.aborted) await failed(err);
      continue;
    }
    while (!o.signal.aborted) {
      const query = { ...o.query, timeoutSeconds: String(timeoutSeconds), ...(rv ? { resourceVersion: rv } : {}) };
      let seen = false;
      const outcome = await watchOnce<T>(watch, o.path, query, timeoutSeconds * 1500, o.signal, (type, obj) => {
        seen = true;
        rv = obj.metadata?.resourceVersion ?? rv;
        backoffMs = 50;
        o.onEvent(type, obj);
      });
      if (outcome === 'ended') {
        // A stream ended without one event is re-opened after the backoff: a proxy that cuts every stream at once is not hammered.
        if (!seen && !o.signal.aborted) await pause();
        continue;
      }
      if (outcome !== 'expired' && !o.signal.aborted) await failed(outcome.error);
      break;
    }
  }
}

/** One watch stream, until it ends, fails, the signal aborts, or `deadlineMs` passes (then it is dropped as stalled). */
function watchOnce<T>(
  watch: Watch,
  path: string,
  query: Record<string, string>,
  deadlineMs: number,
  signal: AbortSignal,
  onEvent: (type: WatchEventType, obj: T) => void,
): Promise<Outcome> {
  return new Promise((resolve) => {
    let controller: AbortController | undefined;
    let outcome: Outcome | undefined;
    let settled = false;
    const finish = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal.removeEventListener('abort', stop);
      if (statusCode(err) === 410) outcome = 'expired';
      resolve(outcome ?? (err && !signal.aborted ? { error: err } : 'ended'));
    };
    // Before the server has answered there is no controller yet: give up now, and abort the request once it arrives.
    const stop = () => (controller ? controller.abort() : finish(null));
    const deadline = setTimeout(() => {
      outcome ??= { error: new Error(`watch of ${path} still open ${deadlineMs / 1000} s after the server should have ended it: connection presumed dead`) };
      stop();
    }, deadlineMs);
    signal.addEventListener('abort', stop, { once: true });
    watch
      .watch(
        path,
        query,
        (type: string, obj: unknown) => {
          if (type === 'ERROR') {
            outcome = statusCode(obj) === 410 ? 'expired' : { error: obj };
            controller?.abort();
          } else if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
            onEvent(type, obj as T);
          }
        },
        finish,
      )
      .then(
        (c) => {
          controller = c;
          if (settled || outcome !== undefined) c.abort();
        },
        finish,
      );
  });
}

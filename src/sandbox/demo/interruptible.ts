/** The sandbox's signal fired while it waited for something. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/**
 * Waits for `work` unless `signal` fires first. The work itself goes on:
 * whoever started it removes what it was working on (the sandbox's close()).
 *
 * @example
 * const nodes = await interruptible(agent.checkNodes(), signal); // throws Interrupted on Ctrl-C
 */
export function interruptible<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Interrupted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

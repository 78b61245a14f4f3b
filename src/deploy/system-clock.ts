import type { Clock } from './ports.js';

/**
 * The real clock, for the entry point; tests pass a fake one.
 *
 * @example
 * const deps = { ...ports, clock: systemClock };
 */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

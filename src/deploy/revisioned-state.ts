import type { AppState } from '../state/app-state.js';
import type { StatePort } from './ports.js';

/**
 * The state port with every write counted (AppState.revision) and every
 * state read or written shown to `seen`: the deploy feed orders copies of an
 * app's state by that count, whichever agent wrote them.
 *
 * @example
 * const state = revisioned(kubeState, (s) => feed.observeState(s));
 */
export function revisioned(state: StatePort, seen: (s: AppState) => void): StatePort {
  return {
    async read(app) {
      const s = await state.read(app);
      seen(s);
      return s;
    },
    async update(app, fn, options) {
      const after = await state.update(
        app,
        (current) => {
          const next = fn(current);
          return next === current ? current : { ...next, revision: (current.revision ?? 0) + 1 };
        },
        options,
      );
      seen(after);
      return after;
    },
  };
}

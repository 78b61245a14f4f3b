import { setTimeout as sleep } from 'node:timers/promises';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { emptyAppState, HISTORY_LIMIT, type AppState } from '../state/app-state.js';
import { ANNOTATION_FENCE, LABEL_MANAGED_BY, stateConfigMapName } from './colour-names.js';
import { isConflict, isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

export const STATE_KEY = 'state.json';

/** A write made under the app's lock carries the lock's fencing token (HeldLease.fence). */
export interface WriteOptions {
  fence?: number;
}

export interface AppStateStoreOptions {
  /** Attempts of one update when others write at the same time (409). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The per-app state record, kept in the cluster as JSON in the ConfigMap
 * `switchyard-<app>` of the app's namespace (docs/architecture.md, invariant 6). Every
 * write is compare-and-swap on resourceVersion: the change is re-applied to a
 * fresh read when another agent wrote first (409).
 *
 * Fencing (invariant 12): the ConfigMap keeps the highest lock token any write
 * carried (annotation `switchyard/fence`). A write with a lower token comes
 * from a runner whose lock was taken over since, whatever its clock says, and
 * is refused; since the token is checked and raised in the same
 * compare-and-swap, no such write can slip in between. Writes without a token
 * (promote, abort: intents anyone may record) are never refused.
 *
 * @example
 * const states = new AppStateStore(kube);
 * const next = await states.updateAppState('blog', 'blog', (s) => ({ ...s, inFlight: record }), { fence: held.fence });
 */
export class AppStateStore {
  private readonly kube: KubeClients;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(kube: KubeClients, options: AppStateStoreOptions = {}) {
    this.kube = kube;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  /** The app's record; an empty one when none was written yet. */
  async readAppState(app: string, namespace: string): Promise<AppState> {
    const cm = await this.read(app, namespace);
    return cm ? parseAppState(cm, app, namespace) : emptyAppState(app);
  }

  /** The highest lock token the app's state was written under; 0 when none was. */
  async readFence(app: string, namespace: string): Promise<number> {
    return fenceOf(await this.read(app, namespace));
  }

  /**
   * Applies `change` to the current record and writes it back, retrying on conflicts; returns what was written.
   * After a conflict `change` runs again on the fresh record, so it must compute only from its argument; when it
   * returns its argument itself, nothing is written (but a higher `fence` is still recorded). A `fence` below
   * the recorded one is refused with lock-held before `change` runs.
   */
  async updateAppState(app: string, namespace: string, change: (s: AppState) => AppState, options: WriteOptions = {}): Promise<AppState> {
    const name = stateConfigMapName(app);
    const { fence } = options;
    for (let attempt = 1; ; attempt++) {
      const cm = await this.read(app, namespace);
      const recorded = fenceOf(cm);
      if (fence !== undefined && fence < recorded) throw fencedOut(app, namespace, fence, recorded);
      const current = cm ? parseAppState(cm, app, namespace) : emptyAppState(app);
      const given = structuredClone(current);
      const next = change(given);
      const raise = fence !== undefined && fence > recorded;
      if (next === given && !raise) return current;
      next.history = next.history.slice(0, HISTORY_LIMIT);
      const data = { [STATE_KEY]: JSON.stringify(next) };
      const annotations: Record<string, string> = raise ? { [ANNOTATION_FENCE]: String(fence) } : {};
      try {
        if (cm) {
          const metadata = { ...cm.metadata, annotations: { ...cm.metadata?.annotations, ...annotations } };
          await this.kube.core.replaceNamespacedConfigMap({ name, namespace, body: { ...cm, metadata, data } });
        } else {
          await this.kube.core.createNamespacedConfigMap({
            namespace,
            body: { metadata: { name, namespace, labels: { app, [LABEL_MANAGED_BY]: 'switchyard' }, annotations }, data },
          });
        }
        return next;
      } catch (err) {
        if (!isConflict(err)) throw kubeError(err, 'write', `state ConfigMap ${namespace}/${name}`);
        if (attempt >= this.maxAttempts) {
          throw new SwitchyardError('kube-conflict', `cannot write state ConfigMap ${namespace}/${name}: still conflicting after ${attempt} attempts`, {
            hint: 'another agent writes the same app state continuously: check that only one switchyard runs per app',
            cause: err,
          });
        }
        await this.sleep(Math.min(20 * 2 ** attempt, 500) * (0.5 + Math.random() / 2));
      }
    }
  }

  private async read(app: string, namespace: string): Promise<V1ConfigMap | undefined> {
    const name = stateConfigMapName(app);
    try {
      return await this.kube.core.readNamespacedConfigMap({ name, namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw kubeError(err, 'read', `state ConfigMap ${namespace}/${name}`);
    }
  }
}

const fenceOf = (cm: V1ConfigMap | undefined): number => Number(cm?.metadata?.annotations?.[ANNOTATION_FENCE] ?? 0) || 0;

function fencedOut(app: string, namespace: string, fence: number, recorded: number): SwitchyardError {
  return new SwitchyardError('lock-held', `refused a write to the state of ${app}: it was made under lock token ${fence}, but the lock has been taken over since (the state was written under token ${recorded})`, {
    hint: 'this runner stops without changing anything more; the agent now holding the lock carries the deploy on',
    details: { app, namespace, fence, recorded },
  });
}

/** The state record a ConfigMap holds; refuses one that holds something else. */
export function parseAppState(cm: V1ConfigMap, app: string, namespace: string): AppState {
  const text = cm.data?.[STATE_KEY];
  if (text === undefined) return emptyAppState(app);
  try {
    const state = JSON.parse(text) as AppState;
    if (state.app !== app || !Array.isArray(state.history)) throw new Error('not a state record');
    return state;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SwitchyardError('kube-api-failed', `state ConfigMap ${namespace}/${stateConfigMapName(app)} does not hold a state record for ${app}: ${why}`, {
      hint: `inspect it with kubectl get configmap -n ${namespace} ${stateConfigMapName(app)} -o yaml; delete it only if no deploy is in flight`,
      cause: err,
    });
  }
}

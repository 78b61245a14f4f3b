import type { V1ConfigMap, V1ReplicaSet } from '@kubernetes/client-node';
import type { AppState } from '../state/app-state.js';
import { COLOURS, type Colour } from '../validate/patterns.js';
import { parseAppState } from './app-state-store.js';
import { LABEL_COLOUR, LABEL_MANAGED_BY, stateConfigMapName } from './colour-names.js';
import type { KubeClients } from './kube-clients.js';
import { listWatch } from './list-watch.js';

export interface WatchAppsOptions {
  apps: readonly { name: string; namespace: string }[];
  /** An app's state record, each time it changed in the cluster (and after every relist). */
  onState: (state: AppState) => void;
  /** A colour's ReplicaSet counts, each time they changed. */
  onColour: (app: string, colour: Colour, ready: number, desired: number) => void;
  /** A list or watch failed (it is retried with backoff), or a state ConfigMap could not be parsed. */
  onError: (err: unknown) => void;
  signal: AbortSignal;
}

/**
 * Watches the apps' state ConfigMaps and colour ReplicaSets in each of their
 * namespaces, so an agent sees deploys that other agents or a laptop's CLI
 * run. One watch per namespace and kind, however many apps share it. Runs
 * until the signal aborts.
 *
 * @example
 * void watchApps(kube, { apps: config.apps, onState: (s) => service.feed.observeState(s), onColour, onError: log.warn, signal });
 */
export async function watchApps(kube: KubeClients, o: WatchAppsOptions): Promise<void> {
  const namespaces = [...new Set(o.apps.map((a) => a.namespace))];
  await Promise.all(
    namespaces.flatMap((namespace) => {
      const apps = o.apps.filter((a) => a.namespace === namespace);
      const byStateName = new Map(apps.map((a) => [stateConfigMapName(a.name), a.name]));
      const state = (cm: V1ConfigMap) => {
        const app = byStateName.get(cm.metadata?.name ?? '');
        if (!app) return;
        try {
          o.onState(parseAppState(cm, app, namespace));
        } catch (err) {
          o.onError(err);
        }
      };
      const colour = (rs: V1ReplicaSet) => {
        const app = rs.metadata?.labels?.app;
        const c = rs.metadata?.labels?.[LABEL_COLOUR] as Colour | undefined;
        if (!app || !c || !COLOURS.includes(c) || !apps.some((a) => a.name === app)) return;
        o.onColour(app, c, rs.status?.readyReplicas ?? 0, rs.spec?.replicas ?? 0);
      };
      const common = { signal: o.signal, onError: o.onError };
      return [
        listWatch<V1ConfigMap>(kube.watch, {
          ...common,
          list: () => kube.core.listNamespacedConfigMap({ namespace, labelSelector: `${LABEL_MANAGED_BY}=switchyard` }),
          path: `/api/v1/namespaces/${namespace}/configmaps`,
          query: { labelSelector: `${LABEL_MANAGED_BY}=switchyard` },
          onSync: (items) => items.forEach(state),
          onEvent: (type, cm) => type !== 'DELETED' && state(cm),
        }),
        listWatch<V1ReplicaSet>(kube.watch, {
          ...common,
          list: () => kube.apps.listNamespacedReplicaSet({ namespace, labelSelector: LABEL_COLOUR }),
          path: `/apis/apps/v1/namespaces/${namespace}/replicasets`,
          query: { labelSelector: LABEL_COLOUR },
          onSync: (items) => items.forEach(colour),
          onEvent: (type, rs) => type !== 'DELETED' && colour(rs),
        }),
      ];
    }),
  );
}

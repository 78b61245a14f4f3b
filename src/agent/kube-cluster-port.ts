import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { ensureColourCreated, mirrorOf } from '../cluster/create-colour.js';
import { ensureColourRetired } from '../cluster/ensure-colour-retired.js';
import type { KubeClients } from '../cluster/kube-clients.js';
import { loadReplicaSetTemplate } from '../cluster/load-replica-set-template.js';
import { preflightServices } from '../cluster/preflight-services.js';
import { readColours } from '../cluster/read-colours.js';
import { scaleColour } from '../cluster/scale-colour.js';
import { waitForColourReady } from '../cluster/wait-for-colour-ready.js';
import type { AppConfig } from '../config/schema.js';
import type { ClusterPort, ColoursView, ReplicaSetView } from '../deploy/ports.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import type { PodTemplateJson } from '../state/app-state.js';

/** How long retiring a colour may take before the deploy reports it. */
const RETIRE_TIMEOUT_MS = 5 * 60_000;

/**
 * The deploy machine's cluster port over src/cluster.
 *
 * @example
 * const cluster = kubeClusterPort(connectKube({ context: 'prod' }));
 * const colours = await cluster.observe(app); // { blue: {...}, green: null }
 */
export function kubeClusterPort(kube: KubeClients): ClusterPort {
  return {
    async observe(app) {
      const colours = await readColours(kube, app.name, app.namespace, app.container);
      const view = (c: typeof colours.blue): ReplicaSetView | null =>
        c && {
          version: c.version ?? 'unknown',
          replicas: c.replicas,
          readyReplicas: c.readyReplicas,
          generation: c.generation,
          observedGeneration: c.observedGeneration,
          template: (c.replicaSet.spec?.template ?? {}) as PodTemplateJson,
        };
      return { blue: view(colours.blue), green: view(colours.green) } satisfies ColoursView;
    },

    async createColour(app, colour, version, source) {
      // Pods nobody can reach are no deploy: both colours' NodePort Services must be right first.
      await preflightServices(kube, { name: app.name, namespace: app.namespace, portBase: app.portBase });
      const { template, labels, replicas } = await sourceOf(kube, app, source);
      await ensureColourCreated(kube, {
        app: app.name,
        namespace: app.namespace,
        colour,
        version,
        replicas,
        template,
        ...(labels ? { labels } : {}),
        ...(app.container ? { container: app.container } : {}),
        ...(source.kind === 'recorded' ? { image: 'as-recorded' as const } : {}),
      });
    },

    async waitReady(app, colour, options) {
      await waitForColourReady(kube, { app: app.name, namespace: app.namespace, colour }, {
        timeoutMs: options.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: (r) => options.onProgress!(r.ready, r.replicas) } : {}),
      });
    },

    async deleteColour(app, colour) {
      await ensureColourRetired(kube, { app: app.name, namespace: app.namespace, colour }, { timeoutMs: RETIRE_TIMEOUT_MS });
    },

    async scaleColour(app, colour, replicas) {
      await scaleColour(kube, { app: app.name, namespace: app.namespace, colour }, replicas);
    },
  };
}

async function sourceOf(
  kube: KubeClients,
  app: AppConfig,
  source: Parameters<ClusterPort['createColour']>[3],
): Promise<{ template: V1PodTemplateSpec; labels?: Record<string, string>; replicas: number }> {
  switch (source.kind) {
    case 'mirror': {
      const live = (await readColours(kube, app.name, app.namespace))[source.colour];
      if (!live) {
        throw new SwitchyardError('kube-not-found', `cannot mirror ${app.name}-${source.colour}: it no longer exists in ${app.namespace}`, {
          hint: 'the live colour was deleted by hand; check `switchyard status` and redeploy',
        });
      }
      return { ...mirrorOf(live.replicaSet), replicas: live.replicas };
    }
    case 'template': {
      if (!app.template) {
        throw new SwitchyardError('config-invalid', `${app.name} has no colour running and no template in the config`, {
          hint: `set apps[].template for ${app.name} to a ReplicaSet file (see config/apps/blog-replicaset.yaml)`,
        });
      }
      return { ...(await loadReplicaSetTemplate(app.template)), replicas: app.fallbackReplicas };
    }
    case 'recorded':
      return { template: source.template as V1PodTemplateSpec, replicas: source.replicas };
  }
}

import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { SwitchyardError } from '../errors/switchyard-error.js';

/** The API clients the cluster layer uses, built once in the entry point and passed down. */
export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  coordination: CoordinationV1Api;
  watch: Watch;
}

export interface ConnectOptions {
  /** A kubeconfig file; otherwise KUBECONFIG or ~/.kube/config (or in-cluster when run in a pod). */
  kubeconfigPath?: string;
  /** A context of that kubeconfig; otherwise its current-context. */
  context?: string;
  /** Use the pod's service account (config `kubernetes.inCluster`). */
  inCluster?: boolean;
}

/**
 * Builds the clients from the usual kubeconfig, a given file, or the in-cluster
 * service account, so the same code runs against a real cluster and the stand-in.
 *
 * @example
 * const kube = connectKube({ context: config.kubernetes.context });
 * const colours = await readColours(kube, 'blog', 'blog');
 */
export function connectKube(options: ConnectOptions = {}): KubeClients {
  const config = new KubeConfig();
  if (options.inCluster) config.loadFromCluster();
  else if (options.kubeconfigPath) config.loadFromFile(options.kubeconfigPath);
  else config.loadFromDefault();
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      throw new SwitchyardError('config-invalid', `kubeconfig has no context ${JSON.stringify(options.context)}`, {
        hint: `use one of: ${config.getContexts().map((c) => c.name).join(', ') || '(none)'}; or fix kubernetes.context in the config`,
      });
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) {
    throw new SwitchyardError('config-invalid', 'no Kubernetes cluster configured', {
      hint: 'set KUBECONFIG, give kubernetes.context, or set kubernetes.inCluster when running in a pod',
    });
  }
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    watch: new Watch(config),
  };
}

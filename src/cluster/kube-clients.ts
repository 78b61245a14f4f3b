import { AppsV1Api, CoordinationV1Api, CoreV1Api, createConfiguration, KubeConfig, ServerConfiguration, Watch, type Configuration } from '@kubernetes/client-node';
import type { Config } from '../config/schema.js';
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
  /** How long one API call (not a watch) may take before it fails; default 30 s. */
  requestTimeoutMs?: number;
}

/** The connect options the config's `kubernetes` section names. */
export const connectOptions = (kubernetes: Config['kubernetes']): ConnectOptions => ({
  ...(kubernetes.kubeconfig ? { kubeconfigPath: kubernetes.kubeconfig } : {}),
  ...(kubernetes.context ? { context: kubernetes.context } : {}),
  inCluster: kubernetes.inCluster,
});

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
  try {
    if (options.inCluster) config.loadFromCluster();
    else if (options.kubeconfigPath) config.loadFromFile(options.kubeconfigPath);
    else config.loadFromDefault();
  } catch (err) {
    const which = options.inCluster ? "the pod's service account" : (options.kubeconfigPath ?? 'the kubeconfig (KUBECONFIG or ~/.kube/config)');
    throw new SwitchyardError('config-invalid', `cannot load ${which}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, {
      hint: 'check that the file exists and is a kubeconfig (kubectl config view reads the same one)',
      cause: err,
    });
  }
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
  allowPlainHttp(config);
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  return {
    config,
    core: apiClient(config, CoreV1Api, timeoutMs),
    apps: apiClient(config, AppsV1Api, timeoutMs),
    coordination: apiClient(config, CoordinationV1Api, timeoutMs),
    watch: new Watch(config),
  };
}

/**
 * KubeConfig.makeApiClient, plus a deadline on every call: client-node sets
 * none, so an API server that accepts the connection and never answers would
 * hang a deploy (and hold its lease) for ever.
 */
function apiClient<T>(config: KubeConfig, type: new (configuration: Configuration) => T, timeoutMs: number): T {
  return new type(
    createConfiguration({
      baseServer: new ServerConfiguration(config.getCurrentCluster()!.server, {}),
      authMethods: { default: config },
      promiseMiddleware: [
        {
          pre: async (context) => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            return context;
          },
          post: async (response) => response,
        },
      ],
    }),
  );
}

/**
 * Lets client-node talk plain HTTP to an `http://` server, as kubectl does
 * (`kubectl proxy`, a local API server). client-node 1.x refuses one unless
 * the cluster sets `insecure-skip-tls-verify`, and refuses from inside each
 * request, so the refusal reads as an API that cannot be reached. Over plain
 * HTTP there is no TLS to verify: declaring verification off changes nothing
 * on the wire and makes client-node build a plain http.Agent. Clusters behind
 * a proxy (`proxy-url`) are left as they are, since client-node already
 * serves those over HTTP.
 */
function allowPlainHttp(config: KubeConfig): void {
  config.clusters = config.clusters.map((c) => (c.server.startsWith('http:') && !c.proxyUrl && !c.skipTLSVerify ? { ...c, skipTLSVerify: true } : c));
}

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Namespace, V1Service } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureColourCreated } from '../cluster/create-colour.js';
import { connectKube, type KubeClients } from '../cluster/kube-clients.js';
import { loadReplicaSetTemplate } from '../cluster/load-replica-set-template.js';
import { waitForColourReady } from '../cluster/wait-for-colour-ready.js';
import { parseConfig } from '../config/load-config.js';
import type { Config, NginxConfig } from '../config/schema.js';
import type { CreateDiscoveryOptions } from '../discovery/create-discovery.js';
import { previewSchema } from '../preview/preview-schema.js';
import type { Colour } from '../validate/patterns.js';
import { startEc2StandIn, type Ec2StandIn } from './ec2/start-ec2-stand-in.js';
import { ec2Instance } from './ec2/ec2-instance.js';
import { TestFleet } from './fleet/test-fleet.js';
import { startKubeStandIn, type KubeStandIn } from './kube/start-kube-stand-in.js';
import { startNodePortProxy, type NodePortProxy, type VersionBehaviour } from './node-port-proxy.js';

const repoConfig = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config');

export interface SandboxEnvOptions {
  /** Real nginx + sshd nodes (default 3). */
  nodes?: number;
  /** The version blue runs when the sandbox starts (default 1.0.0). */
  initialVersion?: string;
  /** Replicas of the demo app (default 2). */
  replicas?: number;
  /** From a pod's creation to Ready in the stand-in cluster (default 300 ms). */
  readyDelayMs?: number;
  /** Keys merged into the blog app's config (verify, drainSeconds, ...). */
  app?: Record<string, unknown>;
  /** Keys merged into the agent section (leaseSeconds, pollSeconds). */
  agent?: Record<string, unknown>;
  /** More apps beside blog, each made from blog's manifests under its own name, namespace and ports (30010, 30020, ...). */
  moreApps?: string[];
  /** Keys merged into the ssh section (commandTimeoutSeconds). */
  ssh?: Record<string, unknown>;
  /** Keys merged into the nginx section, from the fleet's own (a test command with hooks). */
  nginx?: (fleet: TestFleet) => Partial<NginxConfig>;
  /** Who switchyard logs in as on the nodes (see TestFleetOptions.login); root by default. */
  login?: 'root' | 'deploy';
  /** Versions whose pods answer badly (a share of 500s, slowly), for the gate's tests. */
  versions?: Record<string, VersionBehaviour>;
}

export interface SandboxEnv {
  kube: KubeStandIn;
  ec2: Ec2StandIn;
  fleet: TestFleet;
  proxy: NodePortProxy;
  /** The switchyard config written for this sandbox, and where. */
  config: Config;
  configPath: string;
  /** Environment for an agent process: AWS credentials for the EC2 stand-in and SWITCHYARD_CONFIG. */
  env: Record<string, string>;
  /** For an agent built in this process. */
  ec2Options: CreateDiscoveryOptions;
  /** Clients of the stand-in cluster, for checks. */
  kubeClients: KubeClients;
  close(): Promise<void>;
}

/**
 * Everything a deploy needs, on one machine: the stand-in Kubernetes API
 * (with the demo app `blog` installed: namespace, both NodePort Services and
 * a Ready blue ReplicaSet), the stand-in EC2 endpoint listing the nodes by
 * tag, real nginx + sshd nodes in network namespaces whose NodePorts answer
 * with the version of that colour's Ready pods, and a switchyard config that
 * ties them together. Used by `switchyard sandbox`, the end-to-end tests and
 * the deploy benchmark.
 *
 * @example
 * const env = await startSandboxEnv({ nodes: 3 });
 * try { ... run switchyard with env.configPath and env.env ... } finally { await env.close(); }
 */
export async function startSandboxEnv(options: SandboxEnvOptions = {}): Promise<SandboxEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-sandbox-'));
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const kube = await startKubeStandIn({ readyDelayMs: options.readyDelayMs ?? 300, terminateDelayMs: 50 });
    closers.push(() => kube.close());
    const apps = ['blog', ...(options.moreApps ?? [])].map((name, i) => ({ name, namespace: name, portBase: 30000 + 10 * i }));
    // The nodes' vhosts are written before the config is: they take the apps' preview from the options.
    const preview = options.app?.preview === undefined ? undefined : previewSchema.parse(options.app.preview);
    let proxy: NodePortProxy | undefined;
    const fleet = await TestFleet.start({
      size: options.nodes ?? 3,
      apps: apps.map((app) => (preview ? { ...app, preview } : app)),
      live: 'blue',
      ...(options.login ? { login: options.login } : {}),
      responderUpstream: async (gateway) => {
        const started = await startNodePortProxy(kube.store, apps, gateway, options.versions);
        // Closed also when the fleet fails to start after this point.
        closers.push(() => started.close());
        proxy = started;
        return started.url;
      },
    });
    closers.push(() => fleet.close());

    const ec2 = await startEc2StandIn({
      instances: [
        ...fleet.nodes.map((n, i) =>
          ec2Instance({ id: `i-0${(0xa11ce00 + i).toString(16)}`, name: n.name, privateIp: n.address, zone: `us-east-1${'abc'[i % 3]}`, tags: { Role: 'k8s-node', Cluster: 'sandbox' } }),
        ),
        // Not nodes of this cluster: a stopped node and another cluster's.
        ec2Instance({ id: 'i-0dead0001', name: 'old-node', privateIp: '10.213.255.9', state: 'stopped', tags: { Role: 'k8s-node', Cluster: 'sandbox' } }),
        ec2Instance({ id: 'i-0beef0001', name: 'staging-node', privateIp: '10.213.255.8', tags: { Role: 'k8s-node', Cluster: 'staging' } }),
      ],
    });
    closers.push(() => ec2.close());

    const kubeconfig = await kube.writeKubeconfig(join(dir, 'kubeconfig'));
    const configPath = join(dir, 'switchyard.yaml');
    const text = stringify({
      discovery: { ec2: { region: ec2.region, endpoint: ec2.endpoint, tags: { Role: 'k8s-node', Cluster: 'sandbox' } } },
      kubernetes: { kubeconfig },
      agent: { leaseSeconds: 10, pollSeconds: '200ms', ...options.agent },
      ssh: { ...fleet.sshConfig, connectTimeoutSeconds: 5, ...options.ssh },
      nginx: { ...fleet.nginxConfig, ...options.nginx?.(fleet) },
      // A free port: agents of several sandboxes (and tests) serve side by side.
      api: { port: 0 },
      apps: apps.map((app) => ({
        ...app,
        fallbackReplicas: options.replicas ?? 2,
        template: join(repoConfig, 'apps', 'blog-replicaset.yaml'),
        container: 'blog',
        previewUrl: 'http://{{node}}:{{port}}/',
        verify: { required: true, timeout: '10m', smoke: { path: '/healthz', status: 200 } },
        // Each node's vhost for the app (server_name: its name) answers through the colour's NodePort.
        probe: { host: app.name, path: '/' },
        drainSeconds: 5,
        ...options.app,
        // A gate reads each node's own log, written where the test fleet's vhosts write it.
        ...(isGateOnNginx(options.app?.gate) ? { gate: { accessLog: fleet.accessLog(app.name), ...options.app!.gate } } : {}),
      })),
    });
    await writeFile(configPath, text);
    const config = parseConfig(text, configPath);

    const kubeClients = connectKube({ kubeconfigPath: kubeconfig });
    for (const app of apps) await installDemoApp(kubeClients, app, options.initialVersion ?? '1.0.0', options.replicas ?? 2);

    const credentials = ec2.credentials;
    return {
      kube,
      ec2,
      fleet,
      proxy: proxy!,
      config,
      configPath,
      env: {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: ec2.region,
        AWS_EC2_METADATA_DISABLED: 'true',
        SWITCHYARD_CONFIG: configPath,
      },
      ec2Options: { endpoint: ec2.endpoint, region: ec2.region, credentials },
      kubeClients,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

const isGateOnNginx = (gate: unknown): gate is Record<string, unknown> =>
  typeof gate === 'object' && gate !== null && (gate as { source?: string }).source !== 'prometheus';

/**
 * What an operator has before switchyard's first deploy: the namespace, both
 * Services, and blue running. Another app than blog gets blog's manifests
 * with its own name and NodePorts.
 */
async function installDemoApp(kube: KubeClients, app: { name: string; portBase: number }, version: string, replicas: number): Promise<void> {
  const { name } = app;
  const namespace: V1Namespace = { metadata: { name } };
  await kube.core.createNamespace({ body: namespace });
  const text = (await readFile(join(repoConfig, 'apps', 'blog-services.yaml'), 'utf8'))
    .replaceAll('blog', name)
    .replace('nodePort: 30000', `nodePort: ${app.portBase}`)
    .replace('nodePort: 30001', `nodePort: ${app.portBase + 1}`);
  for (const doc of parseAllDocuments(text)) await kube.core.createNamespacedService({ namespace: name, body: doc.toJS() as V1Service });
  const colour: Colour = 'blue';
  const template = await loadReplicaSetTemplate(join(repoConfig, 'apps', 'blog-replicaset.yaml'));
  await ensureColourCreated(kube, { app: name, namespace: name, colour, version, replicas, ...template });
  await waitForColourReady(kube, { app: name, namespace: name, colour }, { timeoutMs: 30_000 });
}

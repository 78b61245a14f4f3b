import type { NodeCheck } from '../../agent/create-agent.js';
import type { AppConfig } from '../../config/schema.js';
import type { AppStatus } from '../../deploy/deploy-service.js';
import { colourPort } from '../../validate/patterns.js';
import type { SandboxEnv } from '../sandbox-env.js';
import type { DemoOutput } from './demo-output.js';

/**
 * The sandbox as a step, before anything is deployed: the nodes as EC2
 * discovery found them (each checked over SSH, with what its nginx marks
 * live), the stand-in cluster, the app's colours, and the config file.
 *
 * @example
 * describeSetup(output, env, await agent.checkNodes(), await agent.service.status('blog'), app);
 */
export function describeSetup(o: DemoOutput, env: SandboxEnv, checks: readonly NodeCheck[], status: AppStatus, app: AppConfig): void {
  const tags = Object.entries(env.config.discovery.ec2?.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  const byName = new Map(env.fleet.nodes.map((n) => [n.name, n]));
  const blue = status.colours?.blue;
  const ports = { blue: colourPort(app.portBase, 'blue'), green: colourPort(app.portBase, 'green') };
  o.step(
    {
      type: 'setup',
      nodes: checks.map((n) => ({ ...n, namespace: byName.get(n.name)?.namespace })),
      discovery: { ec2: env.ec2.endpoint, tags: env.config.discovery.ec2?.tags },
      cluster: { apiServer: env.kube.url },
      app: { name: app.name, namespace: app.namespace, ports, live: status.live, colours: status.colours },
      configPath: env.configPath,
      fleetDir: env.fleet.root,
    },
    '',
    `Nodes, found through EC2 by tag (${tags}) among running instances:`,
    ...checks.map((n) =>
      `  ${n.name}  ${n.address}  ${n.instanceId ?? ''}  ${n.zone ?? ''}  netns ${byName.get(n.name)?.namespace ?? '?'}  ` +
        `ssh ${n.reachable ? 'ok (host key checked)' : `unreachable: ${n.error}`}  nginx: ${n.live[app.name] ?? '?'} live`,
    ),
    `Cluster: stand-in Kubernetes API at ${env.kube.url} (the real @kubernetes/client-node talks to it)`,
    `App: ${app.name} in namespace ${app.namespace}: blue on NodePort ${ports.blue}` +
      (blue ? ` (${blue.readyReplicas}/${blue.replicas} pods Ready at ${blue.version}, live)` : ' (none)') +
      `, green on NodePort ${ports.green} (${status.colours?.green ? 'running' : 'none yet'})`,
    `Config: ${env.configPath}`,
  );
}

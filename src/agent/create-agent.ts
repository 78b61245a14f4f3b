import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { connectKube, connectOptions, type KubeClients } from '../cluster/kube-clients.js';
import { LeaderLease } from '../cluster/leader-lease.js';
import { watchApps } from '../cluster/watch-apps.js';
import type { Config } from '../config/schema.js';
import type { DeployEventListener } from '../deploy/deploy-event.js';
import { DeployService } from '../deploy/deploy-service.js';
import { systemClock } from '../deploy/system-clock.js';
import { createDiscovery, type CreateDiscoveryOptions } from '../discovery/create-discovery.js';
import type { Discovery, FleetNode } from '../discovery/fleet-node.js';
import { FleetSwitch } from '../fleet/fleet-switch.js';
import type { NodeTruth } from '../fleet/node-truth.js';
import { SshPool } from '../fleet/ssh-pool.js';
import { createGatePort } from '../gate/create-gate-port.js';
import type { Logger } from '../log/logger.js';
import type { Colour } from '../validate/patterns.js';
import { kubeClusterPort } from './kube-cluster-port.js';
import type { LeaderLeasePort } from './leadership.js';
import { kubeLockPort, kubeStatePort } from './kube-state-port.js';
import { sshFleetPort } from './ssh-fleet-port.js';

export interface NodeCheck extends FleetNode {
  reachable: boolean;
  error?: string;
  /** The colour each app's upstream file marks live on this node. */
  live: Record<string, Colour | null>;
  /** What the node's nginx really does for each app (file, loaded config, traffic); empty when unreachable. */
  truth: Record<string, NodeTruth>;
}

export interface Agent {
  /** The deploy/promote/abort/rollback/status/history/plan functions every front end calls. */
  service: DeployService;
  /** The configured identity (default `<host>-<pid>`): this agent's name in messages and records. */
  identity: string;
  /** Tells this process apart from any other with the same identity: it holds leases as `<identity>/<instance>`. */
  instance: string;
  discovery: Discovery;
  /**
   * The leadership Lease among `serve` agents (config agent.leaderNamespace),
   * renewed every third of agent.leaseSeconds and looked at by followers every
   * agent.pollSeconds.
   */
  leaderLease: { lease: LeaderLeasePort; renewMs: number; retryMs: number };
  /** Every discovered node: reachable over SSH (host key checked), what it marks live per app, and whether its nginx really does. */
  checkNodes(): Promise<NodeCheck[]>;
  /**
   * Feeds the deploy feed with the apps' state and colours as they change in
   * the cluster, until `signal` aborts; failures are retried after `onError`.
   */
  watchCluster(signal: AbortSignal, onError: (err: unknown) => void): Promise<void>;
  /** Stops the runners (their deploys stay recorded for a resume), waits for them to end, and closes connections. */
  close(): Promise<void>;
}

export interface AgentOptions {
  log: Logger;
  onEvent?: DeployEventListener;
  /** For the sandbox and tests: where EC2 answers, and with which credentials. */
  ec2?: CreateDiscoveryOptions;
}

/**
 * Builds the agent from the config: every adapter is made here, and only
 * here, then handed to the deploy service (the one place I/O is wired).
 *
 * @example
 * const agent = await createAgent(config, { log, onEvent: (e) => render(e) });
 * const { done } = await agent.service.deploy('blog', '20151025.143403', { by: { via: 'cli', id: 'alice' } });
 * await done;
 * await agent.close();
 */
export async function createAgent(config: Config, options: AgentOptions): Promise<Agent> {
  const { log } = options;
  const kube: KubeClients = connectKube(connectOptions(config.kubernetes));
  const discovery = createDiscovery(config.discovery, options.ec2);
  const pool = await SshPool.fromConfig(config.ssh, { log });
  const switcher = new FleetSwitch({ pool, nginx: config.nginx, log });
  const identity = config.agent.identity ?? `${hostname()}-${process.pid}`;
  const instance = randomUUID().slice(0, 8);
  const stop = new AbortController();
  const leaseMs = config.agent.leaseSeconds * 1000;
  const service = new DeployService({
    apps: config.apps,
    roles: config.roles,
    freeze: config.freeze,
    state: kubeStatePort(kube, config.apps),
    lock: kubeLockPort(kube, config.apps, { identity, instance, leaseSeconds: config.agent.leaseSeconds }),
    cluster: kubeClusterPort(kube),
    fleet: sshFleetPort({ discovery, switcher, log }),
    gate: createGatePort({ pool, clock: systemClock }),
    clock: systemClock,
    agent: { via: 'agent', id: identity },
    log,
    pollMs: config.agent.pollSeconds * 1000,
    renewMs: Math.floor(leaseMs / 3),
    signal: stop.signal,
    onEvent: (event) => {
      log.info({ event }, `${event.app}: ${event.type}`);
      options.onEvent?.(event);
    },
  });

  return {
    service,
    identity,
    instance,
    discovery,
    leaderLease: {
      lease: new LeaderLease(kube, { identity, instance, namespace: config.agent.leaderNamespace, durationSeconds: config.agent.leaseSeconds }),
      renewMs: Math.floor(leaseMs / 3),
      retryMs: Math.min(config.agent.pollSeconds * 1000, Math.floor(leaseMs / 3)),
    },
    async checkNodes() {
      const nodes = await discovery.discover();
      const reach = await pool.forEach(nodes, (n) => pool.connect(n));
      const reachable = nodes.filter((_, i) => reach[i]!.status === 'fulfilled');
      const truths = await Promise.all(config.apps.map((app) => switcher.truth(reachable, app)));
      return nodes.map((node, i) => {
        const r = reach[i]!;
        const truth = Object.fromEntries(config.apps.flatMap((app, a) => truths[a]!.filter((t) => t.node === node.name).map((t) => [app.name, t])));
        const live = Object.fromEntries(config.apps.map((app) => [app.name, truth[app.name]?.file ?? null]));
        return r.status === 'fulfilled'
          ? { ...node, reachable: true, live, truth }
          : { ...node, reachable: false, error: (r.reason as Error).message, live, truth };
      });
    },
    watchCluster(signal, onError) {
      return watchApps(kube, {
        apps: config.apps,
        onState: (s) => service.feed.observeState(s),
        onColour: (app, colour, ready, desired) => service.feed.observeColour(app, colour, ready, desired),
        onError,
        signal,
      });
    },
    async close() {
      stop.abort();
      await service.settled();
      await pool.close();
    },
  };
}

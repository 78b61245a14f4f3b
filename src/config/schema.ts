import { z } from 'zod';
import { APP_NAME, NAMESPACE, NODE_ADDRESS, NODE_NAME } from '../validate/patterns.js';

/** A Slack channel: its name with "#", or its id. */
const CHANNEL = /^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{2,})$/;

/** "90s", "30m", "4h", "1d" or a number of seconds. */
const Duration = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration such as "30s", "15m" or "4h"'),
]).transform(toSeconds);

function toSeconds(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v)!;
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

const StaticNode = z.strictObject({
  name: z.string().regex(NODE_NAME, 'letters, digits, ".", "_" and "-"'),
  address: z.string().regex(NODE_ADDRESS, 'an IPv4 address or a host name'),
  port: z.number().int().min(1).max(65535).optional(),
});

const Discovery = z
  .strictObject({
    ec2: z
      .strictObject({
        region: z.string().min(1).optional(),
        endpoint: z.url().optional(),
        tags: z.record(z.string().min(1), z.string()).refine((t) => Object.keys(t).length > 0, 'at least one tag'),
        address: z.enum(['private', 'public']).default('private'),
      })
      .optional(),
    static: z.array(StaticNode).min(1).optional(),
    sshPort: z.number().int().min(1).max(65535).default(22),
  })
  .refine((d) => Boolean(d.ec2) !== Boolean(d.static), 'exactly one of "ec2" or "static"');

const Ssh = z.strictObject({
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Unix user name'),
  privateKeyPath: z.string().min(1),
  knownHostsPath: z.string().min(1),
  concurrency: z.number().int().min(1).max(200).default(20),
  sudo: z.boolean().default(false),
  connectTimeoutSeconds: Duration.default(10),
  commandTimeoutSeconds: Duration.default(30),
  keepaliveSeconds: Duration.default(15),
});

const Nginx = z.strictObject({
  backendsDir: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path').default('/etc/nginx/backends.d'),
  testCommand: z.string().min(1).default('nginx -t'),
  reloadCommand: z.string().min(1).default('service nginx reload'),
  /** nginx master's pid file, read to confirm a reload produced new workers. */
  pidFile: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path').default('/run/nginx.pid'),
  reloadConfirmSeconds: Duration.default(10),
  /** Prints the configuration nginx loads (`nginx -T`), to prove that it includes each app's upstream file. */
  dumpCommand: z.string().min(1).default('nginx -T'),
});

const App = z.strictObject({
  name: z.string().regex(APP_NAME, 'lower-case letters, digits and dashes, starting with a letter'),
  namespace: z.string().regex(NAMESPACE, 'a Kubernetes namespace'),
  portBase: z
    .number()
    .int()
    .min(30000)
    .max(32760)
    .refine((p) => p % 10 === 0, 'a multiple of ten (blue ends in 0, green in 1)'),
  fallbackReplicas: z.number().int().min(1).max(500).default(1),
  template: z.string().min(1).optional(),
  /** Container whose image tag is set to the version; the first one when unset. */
  container: z.string().optional(),
  upstreamName: z.string().regex(/^[A-Za-z0-9_]+$/).optional(),
  verify: z
    .strictObject({
      required: z.boolean().default(true),
      timeout: Duration.default(4 * 3600),
      smoke: z
        .strictObject({ path: z.string().startsWith('/'), status: z.number().int().min(100).max(599).default(200) })
        .optional(),
    })
    .prefault({}),
  previewUrl: z.string().optional(),
  drainSeconds: Duration.default(30),
  retainMinutes: z.number().nonnegative().default(0),
  readyTimeout: Duration.default(600),
  postDeployCommand: z.string().optional(),
  releasesDir: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path').optional(),
  keepReleases: z.number().int().min(1).optional(),
  channel: z.string().regex(CHANNEL, 'a channel name such as "#blog-deploys" or an id such as C01ABC').optional(),
  /** CI deploys of this app wait for a Start click in Slack before anything is created. */
  requireStart: z.boolean().default(false),
  /** A request through each node's nginx to the app, answered through the live colour's NodePort (fleet truth). */
  probe: z
    .strictObject({
      host: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a host name, sent as the Host header'),
      path: z.string().startsWith('/').default('/'),
      port: z.number().int().min(1).max(65535).default(80),
    })
    .optional(),
});

const SlackId = z.string().regex(/^[UWSG][A-Z0-9]{2,}$/, 'a Slack user or user-group id such as U01ABC');

export const Config = z
  .strictObject({
    discovery: Discovery,
    kubernetes: z
      .strictObject({ kubeconfig: z.string().min(1).optional(), context: z.string().optional(), inCluster: z.boolean().default(false) })
      .prefault({}),
    agent: z
      .strictObject({
        /** Lease holder name; distinct per agent process unless set. */
        identity: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, ".", "_" and "-"').optional(),
        leaseSeconds: z.number().int().min(5).max(3600).default(30),
        pollSeconds: Duration.default(2),
      })
      .prefault({}),
    ssh: Ssh,
    nginx: Nginx.prefault({}),
    slack: z
      .strictObject({
        mode: z.enum(['socket', 'http']).default('socket'),
        channel: z.string().regex(CHANNEL, 'a channel name such as "#deploys" or an id such as C01ABC').default('#deploys'),
        /** The slash command as the app's manifest names it. */
        command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'a slash command such as "/deploy"').default('/deploy'),
        apiUrl: z.url().optional(),
        /** Where the HTTP receiver listens (mode http). */
        port: z.number().int().min(0).max(65535).default(3000),
        host: z.string().default('0.0.0.0'),
      })
      .optional(),
    api: z
      .strictObject({
        enabled: z.boolean().default(true),
        port: z.number().int().min(0).max(65535).default(8080),
        host: z.string().default('127.0.0.1'),
        /** How CI reaches this API, for the deploy URLs it answers with; default: http://<host>:<port>. */
        publicUrl: z.url().optional(),
      })
      .prefault({}),
    roles: z
      .strictObject({
        deploy: z.array(SlackId).default([]),
        approve: z.array(SlackId).default([]),
        rollback: z.array(SlackId).default([]),
        /** false: whoever asked for a deploy (or started one CI left pending) may not promote it. */
        selfApprove: z.boolean().default(true),
      })
      .prefault({}),
    apps: z.array(App).min(1),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.apps.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: ['apps', i, 'name'], message: `duplicate app "${a.name}"` });
      seen.set(a.name, i);
    });
    const ports = new Map<number, string>();
    c.apps.forEach((a, i) => {
      const other = ports.get(a.portBase);
      if (other) ctx.addIssue({ code: 'custom', path: ['apps', i, 'portBase'], message: `port ${a.portBase} already used by "${other}"` });
      ports.set(a.portBase, a.name);
    });
  });

export type Config = z.infer<typeof Config>;
export type AppConfig = Config['apps'][number];
export type SshConfig = Config['ssh'];
export type NginxConfig = Config['nginx'];
export type DiscoveryConfig = Config['discovery'];

import { z } from 'zod';
import { APP_NAME, NAMESPACE, NODE_ADDRESS, NODE_NAME } from '../validate/patterns.js';
import { gateSchema } from '../gate/gate-schema.js';
import { previewSchema } from '../preview/preview-schema.js';
import { releasesDirProblem } from './releases-dir-problem.js';
import { windowProblems } from '../freeze/window-problems.js';
import { isTimeZone } from '../freeze/zoned-time.js';

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

const shown = (seconds: number): string => (seconds < 1 ? `${Math.round(seconds * 1000)}ms` : seconds < 60 ? `${seconds}s` : `${seconds / 60}m`);

/** A Duration of at least `min` seconds; `why` says what a shorter one breaks, for the message. */
const DurationAtLeast = (min: number, why: string) => Duration.refine((s) => s >= min, `at least ${shown(min)}: ${why}`);

/**
 * What a commit on a node spends besides confirming the reload, all within
 * one remote command: `nginx -t`, the wait at the barrier until every node
 * has armed, and the reload command itself (see FleetSwitch.switchTo).
 */
const COMMIT_OVERHEAD_SECONDS = 5;

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
  connectTimeoutSeconds: DurationAtLeast(1, 'an SSH handshake to a busy node takes longer, and it would count as unreachable').default(10),
  commandTimeoutSeconds: DurationAtLeast(1, 'a remote command is killed after it, and even reading a file takes longer on a busy node').default(30),
  keepaliveSeconds: DurationAtLeast(1, 'keepalives more often than that only load every node\'s sshd').default(15),
});

const Nginx = z.strictObject({
  backendsDir: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path').default('/etc/nginx/backends.d'),
  testCommand: z.string().min(1).default('nginx -t'),
  reloadCommand: z.string().min(1).default('service nginx reload'),
  /** nginx master's pid file, read to confirm a reload produced new workers. */
  pidFile: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path').default('/run/nginx.pid'),
  reloadConfirmSeconds: DurationAtLeast(1, 'nginx lets its old workers accept for 100 ms after a reload and a busy node starts new ones slower, so a shorter wait fails good reloads').default(10),
  /** Prints the configuration nginx loads (`nginx -T`), to prove that it includes each app's upstream file. */
  dumpCommand: z.string().min(1).default('nginx -T'),
});

const TimeZone = z.string().refine(isTimeZone, 'an IANA time zone such as "Europe/Berlin" or "UTC"');

/** A span of time in which deploys are refused (see src/freeze/). */
const FreezeWindow = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/, 'letters, digits, spaces, ".", "_" and "-"'),
    from: z.string(),
    to: z.string(),
    /** How from and to are read; the section's timeZone when unset. */
    timeZone: TimeZone.optional(),
  })
  .superRefine((w, ctx) => {
    for (const p of windowProblems(w)) ctx.addIssue({ code: 'custom', path: [p.key], message: p.message });
  });

const FreezeWindows = z.array(FreezeWindow).superRefine((windows, ctx) => {
  windows.forEach((w, i) => {
    if (windows.findIndex((o) => o.name === w.name) < i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate window "${w.name}"` });
  });
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
      timeout: DurationAtLeast(60, 'people need time to look at the new colour before the deploy is aborted for want of a promote').default(4 * 3600),
      smoke: z
        .strictObject({ path: z.string().startsWith('/'), status: z.number().int().min(100).max(599).default(200) })
        .optional(),
    })
    .prefault({}),
  previewUrl: z.string().optional(),
  /** The new colour through the production vhost before the switch, by header or cookie (src/preview). */
  preview: previewSchema.optional(),
  drainSeconds: Duration.refine((s) => s === 0 || s >= 1, 'either 0 (no drain) or at least 1s: a shorter drain ends before a request in flight can').default(30),
  retainMinutes: z.number().nonnegative().default(0),
  readyTimeout: DurationAtLeast(1, 'no pod starts sooner, so every deploy would fail in waiting').default(600),
  /** How long the new colour may lose Ready pods (while verified or drained) before that fails the deploy. */
  readinessGraceSeconds: Duration.default(30),
  postDeployCommand: z.string().optional(),
  releasesDir: z
    .string()
    .regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path')
    .superRefine((path, ctx) => {
      const problem = releasesDirProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
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
  /** Freeze windows of this app alone, beside the global ones; timeZone (else the global one) is the app's local time in messages. */
  freeze: z.strictObject({ timeZone: TimeZone.optional(), windows: FreezeWindows.default([]) }).optional(),
  /** Watch the new colour's figures after the switch and switch back by itself if they go bad (src/gate). */
  gate: gateSchema(DurationAtLeast).optional(),
});

const SlackId = z.string().regex(/^[UWSG][A-Z0-9]{2,}$/, 'a Slack user or user-group id such as U01ABC');
/** A CI token's name (SWITCHYARD_API_TOKENS) as a role member, for roles CI may hold. */
const CiTokenRef = z.string().regex(/^ci:[a-z][a-z0-9-]{0,31}$/, 'a CI token\'s name after "ci:", such as ci:release-bot');

export const Config = z
  .strictObject({
    discovery: Discovery,
    kubernetes: z
      .strictObject({ kubeconfig: z.string().min(1).optional(), context: z.string().optional(), inCluster: z.boolean().default(false) })
      .prefault({}),
    agent: z
      .strictObject({
        /** The agent's name in messages; leases are held per process, as `<identity>/<instance id>`. */
        identity: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, ".", "_" and "-"').optional(),
        leaseSeconds: z.number().int().min(5).max(3600).default(30),
        pollSeconds: DurationAtLeast(0.1, 'each poll reads the cluster\'s API, and a shorter one reads it in a hot loop').default(2),
        /** How often `serve` reads every node for drift; 0 turns the check off. */
        driftCheckSeconds: Duration.refine((s) => s === 0 || s >= 5, 'at least 5s (each check reads every node over SSH), or 0 to turn it off').default(60),
        /** Where the `serve` agents' leadership Lease (`switchyard-leader`) lives. */
        leaderNamespace: z.string().regex(NAMESPACE, 'a Kubernetes namespace').default('default'),
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
        /** The read-only web dashboard at `/` (README: Dashboard); off a loopback host it asks for a viewer token. */
        dashboard: z.boolean().default(true),
      })
      .prefault({}),
    roles: z
      .strictObject({
        deploy: z.array(SlackId).default([]),
        approve: z.array(SlackId).default([]),
        rollback: z.array(SlackId).default([]),
        /** Who may deploy during a freeze window, with a reason: Slack ids, or CI tokens as ci:<name>. */
        overrideFreeze: z.array(z.union([SlackId, CiTokenRef], { error: 'a Slack user or user-group id such as U01ABC, or ci:<token name>' })).default([]),
        /** false: whoever asked for a deploy (or started one CI left pending) may not promote it. */
        selfApprove: z.boolean().default(true),
      })
      .prefault({}),
    /** Freeze windows for every app; timeZone reads their times and is the local time messages show (else UTC). */
    freeze: z.strictObject({ timeZone: TimeZone.default('UTC'), windows: FreezeWindows.default([]) }).prefault({}),
    apps: z.array(App).min(1),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.apps.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: ['apps', i, 'name'], message: `duplicate app "${a.name}"` });
      seen.set(a.name, i);
    });
    const commit = c.nginx.reloadConfirmSeconds + COMMIT_OVERHEAD_SECONDS;
    if (c.ssh.commandTimeoutSeconds < commit) {
      ctx.addIssue({
        code: 'custom',
        path: ['ssh', 'commandTimeoutSeconds'],
        message: `at least ${commit}s (nginx.reloadConfirmSeconds + ${COMMIT_OVERHEAD_SECONDS}s): a commit tests the config, waits for every node to arm, reloads and waits for the reload's confirmation within one command, and killed midway it is reverted`,
      });
    }
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

import { z } from 'zod';

/** Where an app's vhost writes the gate's access log unless `gate.accessLog` says otherwise (nginx-templates/vhost.conf.hbs). */
export const defaultAccessLog = (app: string): string => `/var/log/nginx/switchyard-${app}.access.log`;

/** A PromQL instant query; `{{colour}}`, `{{port}}`, `{{app}}`, `{{version}}` and `{{window}}` (e.g. "45s", the time since the switch) are filled in per check. */
const Query = z.string().min(1, 'a PromQL expression');

/** The config's duration type (schema.ts), given in so both read durations alike: "500ms", "5s", 2. */
type DurationAtLeast = (min: number, why: string) => z.ZodType<number, number | string>;

const prometheus = (Seconds: DurationAtLeast) => z.strictObject({
  url: z.url(),
  /** Requests the new colour answered since the switch (one number). */
  requests: Query,
  /** The share of those that were 5xx, 0..1. */
  errorRatio: Query,
  /** Their 95th percentile latency in seconds; needed when maxP95Seconds is set. */
  p95Seconds: Query.optional(),
  timeoutSeconds: Seconds(0.1, 'a query that fast never reaches a busy server').default(5),
});

/**
 * The metrics gate after the switch (docs/architecture.md, invariant 4): for
 * `window` the old colour stays running and the drain waits, the new colour's
 * figures are read every `checkEvery`, and a crossed threshold switches every
 * node back at once.
 */
export const gateSchema = (Seconds: DurationAtLeast) => z
  .strictObject({
    window: Seconds(1, 'a shorter window sees no traffic to judge').default(60),
    checkEvery: Seconds(0.2, 'each check reads every node over SSH (or queries Prometheus)').default(5),
    /** Below this many requests in the window the figures are not judged (too few to tell). */
    minRequests: z.number().int().min(1).default(20),
    /** The 5xx share above which the deploy is rolled back, 0..1. */
    maxErrorRatio: z.number().min(0).max(1).default(0.05),
    /** The 95th percentile of the upstream response time above which it is rolled back. */
    maxP95Seconds: Seconds(0.001, 'no upstream answers faster').optional(),
    source: z.enum(['nginx', 'prometheus']).default('nginx'),
    /** The app's gate access log on every node; default /var/log/nginx/switchyard-<app>.access.log. */
    accessLog: z.string().regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path').optional(),
    /** How much of each log's end a check reads: the window's lines in it are the sample judged. */
    readBytes: z.number().int().min(4096).max(64 * 1024 * 1024).default(1024 * 1024),
    prometheus: prometheus(Seconds).optional(),
    /**
     * After a roll back the new colour is kept for inspection: scaled to this
     * many replicas (0 keeps the ReplicaSet without pods); unset, as it ran.
     */
    keepReplicas: z.number().int().min(0).max(500).optional(),
    /** When the source cannot be read: roll back, or hold the window and ask in Slack. Never a silent pass. */
    onUnreadable: z.enum(['rollback', 'hold']).default('rollback'),
  })
  .superRefine((g, ctx) => {
    if (g.checkEvery > g.window) ctx.addIssue({ code: 'custom', path: ['checkEvery'], message: `at most the window (${g.window}s): a check must land inside it` });
    if (g.source === 'prometheus' && !g.prometheus) ctx.addIssue({ code: 'custom', path: ['prometheus'], message: 'required with source "prometheus": its url and queries' });
    if (g.source === 'nginx' && g.prometheus) ctx.addIssue({ code: 'custom', path: ['prometheus'], message: 'only read with source "prometheus"; set source or remove it' });
    if (g.source === 'prometheus' && g.maxP95Seconds !== undefined && !g.prometheus?.p95Seconds) {
      ctx.addIssue({ code: 'custom', path: ['prometheus', 'p95Seconds'], message: 'required with maxP95Seconds: the query for the 95th percentile latency' });
    }
    if (g.source === 'prometheus' && g.accessLog) ctx.addIssue({ code: 'custom', path: ['accessLog'], message: 'only read with source "nginx"' });
  });

export type GateConfig = z.infer<ReturnType<typeof gateSchema>>;

import type { AppConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import type { AppState, DeployRecord } from '../state/app-state.js';
import type { Colour } from '../validate/patterns.js';
import type { DeployEvent } from './deploy-event.js';
import { isFinal } from './deploy-phases.js';
import { type FleetReport, sameFindings } from './fleet-report.js';
import { previewUrls } from './wording.js';
import { type ProductionPreview, productionPreview } from '../preview/production-preview.js';

/**
 * One deploy as a front end shows it, whole: a Slack message or a page is
 * re-rendered from the latest snapshot, so a missed one never leaves it wrong.
 */
export interface DeploySnapshot {
  /** Grows with every change this agent saw of any deploy; a newer snapshot has a larger one. */
  revision: number;
  app: string;
  record: DeployRecord;
  live: AppState['live'];
  previous: { colour: Colour; version: string } | null;
  progress: {
    pods?: { colour: Colour; ready: number; desired: number };
    nodes?: { colour: Colour; switched: number; total: number; mixedWindowMs?: number };
  };
  /** Where to look at the new colour while it waits in verification (empty otherwise). */
  previewUrls: string[];
  /** How to reach the new colour through the production vhost while it waits in verification (apps[].preview). */
  productionPreview?: ProductionPreview;
  /** The nodes a promote would switch, while it waits in verification (empty otherwise). */
  nodes: string[];
}

export interface FeedFilter {
  app?: string;
  deployId?: string;
}

export type FeedListener = (snapshot: DeploySnapshot) => void | Promise<void>;

/** Told each fleet report that changed what is known of an app's nodes. */
export type FleetListener = (report: FleetReport) => void;

export interface DeployFeedOptions {
  apps: readonly AppConfig[];
  /** The nodes for preview URLs; called when a deploy starts verifying. */
  nodes: () => Promise<FleetNode[]>;
  now: () => Date;
  /** A listener threw: reported here, and the feed goes on. */
  onError?: (err: unknown, snapshot: DeploySnapshot) => void;
  /** A fleet listener threw: reported here, and the feed goes on. */
  onFleetError?: (err: unknown, report: FleetReport) => void;
}

interface Subscriber {
  filter: FeedFilter;
  fn: FeedListener;
  pending: Map<string, DeploySnapshot>;
  busy: boolean;
  closed: boolean;
}

/** Finished deploys kept for subscribers that join late (a CI job following a deploy that just ended). */
const KEEP_FINISHED = 100;

const matches = (f: FeedFilter, s: DeploySnapshot): boolean =>
  (f.app === undefined || f.app === s.app) && (f.deployId === undefined || f.deployId === s.record.id);

/**
 * The deploy feed: every deploy this agent knows of, as whole snapshots,
 * latest-wins and coalesced per subscriber (a slow subscriber gets the newest
 * snapshot of each deploy next, never a backlog). It is fed with the apps'
 * state as read from the cluster (so deploys run by any agent or a laptop's
 * CLI appear) and with this agent's own events (pods and nodes progress).
 * Listeners are awaited one snapshot at a time; one that throws is reported
 * and keeps its subscription.
 *
 * @example
 * const stop = feed.watch({ app: 'blog' }, async (s) => render(s.record.phase, s.progress.pods));
 * feed.observeState(await state.read('blog'));
 * stop();
 */
export class DeployFeed {
  private revision = 0;
  private readonly snapshots = new Map<string, DeploySnapshot>();
  /** The newest state revision seen per app: an older copy arriving late is ignored. */
  private readonly stateRevisions = new Map<string, number>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly fleetReports = new Map<string, FleetReport>();
  private readonly fleetListeners = new Set<FleetListener>();
  private readonly options: DeployFeedOptions;

  constructor(options: DeployFeedOptions) {
    this.options = options;
  }

  /** Subscribes `fn` to the snapshots matching `filter`, starting with the current ones; returns the unsubscribe. */
  watch(filter: FeedFilter, fn: FeedListener): () => void {
    const sub: Subscriber = { filter, fn, pending: new Map(), busy: false, closed: false };
    this.subscribers.add(sub);
    for (const s of this.snapshots.values()) if (matches(filter, s)) sub.pending.set(s.record.id, s);
    void this.drain(sub);
    return () => {
      sub.closed = true;
      this.subscribers.delete(sub);
    };
  }

  /** The latest snapshots matching `filter`, newest first. */
  current(filter: FeedFilter = {}): DeploySnapshot[] {
    return [...this.snapshots.values()].filter((s) => matches(filter, s)).sort((a, b) => b.revision - a.revision);
  }

  /**
   * What a fleet check found for an app. The latest report is kept (its
   * `checkedAt` moves on every check); listeners hear only reports whose
   * findings changed, so a drift is told once, and again when it ends.
   */
  observeFleet(report: FleetReport): void {
    const known = this.fleetReports.get(report.app);
    this.fleetReports.set(report.app, report);
    if (known && sameFindings(known, report)) return;
    for (const fn of this.fleetListeners) {
      try {
        fn(report);
      } catch (err) {
        this.options.onFleetError?.(err, report);
      }
    }
  }

  /** The latest fleet report of each app (or of `app`), by app name. */
  fleet(app?: string): FleetReport[] {
    return [...this.fleetReports.values()].filter((r) => app === undefined || r.app === app).sort((a, b) => a.app.localeCompare(b.app));
  }

  /** Subscribes `fn` to changed fleet findings (not to the reports already kept: read those with `fleet()`); returns the unsubscribe. */
  watchFleet(fn: FleetListener): () => void {
    this.fleetListeners.add(fn);
    return () => this.fleetListeners.delete(fn);
  }

  /** An app's state as read or written; copies older than one already seen change nothing. */
  observeState(state: AppState): void {
    const seen = this.stateRevisions.get(state.app);
    if (seen !== undefined && (state.revision ?? 0) < seen) return;
    this.stateRevisions.set(state.app, state.revision ?? 0);
    const records = [...(state.inFlight ? [state.inFlight] : []), ...state.history.slice(0, 1)];
    for (const record of records) {
      const known = this.snapshots.get(record.id);
      // Only what this agent already follows, or a deploy that is still going or just ended.
      if (!known && isFinal(record.phase) && !this.isRecent(record)) continue;
      if (known && JSON.stringify(known.record) === JSON.stringify(record) && sameColours(known, state)) continue;
      const progress = known?.progress ?? {};
      this.set({
        app: record.app,
        record,
        live: state.live,
        previous: state.previous ? { colour: state.previous.colour, version: state.previous.version } : null,
        progress: record.switched
          ? { ...progress, nodes: { colour: record.toColour, switched: record.switched.nodes, total: record.switched.nodes, ...mixed(record) } }
          : progress,
        previewUrls: record.phase === 'verifying' ? (known?.previewUrls ?? []) : [],
        ...(record.phase === 'verifying' && known?.productionPreview ? { productionPreview: known.productionPreview } : {}),
        nodes: record.phase === 'verifying' ? (known?.nodes ?? []) : [],
      });
    }
  }

  /** A colour's ReplicaSet as the cluster reports it, for the pods count of a deploy run elsewhere. */
  observeColour(app: string, colour: Colour, ready: number, desired: number): void {
    const s = this.inFlight(app);
    if (!s || s.record.toColour !== colour || !['creating', 'waiting', 'verifying'].includes(s.record.phase)) return;
    const pods = s.progress.pods;
    if (pods && pods.ready === ready && pods.desired === desired) return;
    this.set({ ...s, progress: { ...s.progress, pods: { colour, ready, desired } } });
  }

  /** This agent's own events: progress between state writes. */
  observeEvent(e: DeployEvent): void {
    const s = this.snapshots.get(e.deployId);
    if (!s) return;
    if (e.type === 'pods') {
      this.set({ ...s, progress: { ...s.progress, pods: { colour: e.colour, ready: e.ready, desired: e.desired } } });
    } else if (e.type === 'nodes') {
      const nodes = { colour: e.colour, switched: e.switched, total: e.total, ...(e.mixedWindowMs === undefined ? {} : { mixedWindowMs: e.mixedWindowMs }) };
      this.set({ ...s, progress: { ...s.progress, nodes } });
    }
  }

  private inFlight(app: string): DeploySnapshot | undefined {
    return this.current({ app }).find((s) => !isFinal(s.record.phase));
  }

  /** A finished record first seen now is told only if it finished within the last minute (not old history). */
  private isRecent(r: DeployRecord): boolean {
    return r.finishedAt !== undefined && this.options.now().getTime() - new Date(r.finishedAt).getTime() < 60_000;
  }

  private set(snapshot: Omit<DeploySnapshot, 'revision'>): void {
    const next = { ...snapshot, revision: ++this.revision };
    const id = next.record.id;
    // Re-inserted so the map's order is the order of change (trim drops the oldest finished first).
    this.snapshots.delete(id);
    this.snapshots.set(id, next);
    this.trim();
    this.publish(next);
    if (next.record.phase === 'verifying' && next.previewUrls.length === 0) void this.addPreviewUrls(next.app, id);
  }

  private async addPreviewUrls(app: string, id: string): Promise<void> {
    const config = this.options.apps.find((a) => a.name === app);
    if (!config) return;
    const nodes = await this.options.nodes().catch(() => []);
    const s = this.snapshots.get(id);
    if (!s || s.record.phase !== 'verifying' || nodes.length === 0) return;
    const production = productionPreview(config, s.record.toColour);
    this.set({ ...s, previewUrls: previewUrls(config, s.record.toColour, nodes), ...(production && { productionPreview: production }), nodes: nodes.map((n) => n.name) });
  }

  private trim(): void {
    const finished = [...this.snapshots.values()].filter((s) => isFinal(s.record.phase));
    for (const s of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.snapshots.delete(s.record.id);
  }

  private publish(s: DeploySnapshot): void {
    for (const sub of this.subscribers) {
      if (!matches(sub.filter, s)) continue;
      sub.pending.delete(s.record.id);
      sub.pending.set(s.record.id, s);
      void this.drain(sub);
    }
  }

  private async drain(sub: Subscriber): Promise<void> {
    if (sub.busy) return;
    sub.busy = true;
    try {
      while (!sub.closed && sub.pending.size > 0) {
        const [id, s] = sub.pending.entries().next().value as [string, DeploySnapshot];
        sub.pending.delete(id);
        try {
          await sub.fn(s);
        } catch (err) {
          this.options.onError?.(err, s);
        }
      }
    } finally {
      sub.busy = false;
    }
  }
}

const mixed = (r: DeployRecord) => (r.switched?.mixedWindowMs === undefined ? {} : { mixedWindowMs: r.switched.mixedWindowMs });

const sameColours = (s: DeploySnapshot, state: AppState): boolean =>
  JSON.stringify(s.live) === JSON.stringify(state.live) && s.previous?.version === state.previous?.version && s.previous?.colour === state.previous?.colour;

import type { AppConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import type { Actor, AppState, PodTemplateJson } from '../state/app-state.js';
import type { Colour } from '../validate/patterns.js';

/**
 * The ports the deploy machine drives. Each is small and shaped after what the
 * module behind it offers (src/cluster, src/fleet, src/discovery); the entry
 * point binds them with thin adapters. Adapters wrap whatever their system
 * throws into a SwitchyardError naming the system and the object.
 */

/**
 * The per-app state record, kept in the cluster. `update` is compare-and-swap:
 * the adapter reads, calls `fn` with the current record, writes the result on
 * the version it read and retries `fn` on a conflict, so `fn` must be pure.
 * An error thrown by `fn` propagates and nothing is written; returning
 * `current` itself means "nothing to write".
 *
 * A write made under the app's lock passes the lock's `fence` (LockResult):
 * the store keeps the highest fence it was written under and refuses a lower
 * one with lock-held (a runner whose lock was taken over while it did not
 * know: frozen, cut off), whatever that runner's clock says. A fenced write
 * that changes nothing still records a higher fence: that claims the record.
 *
 * @example
 * const after = await state.update('blog', (s) => ({ ...s, inFlight: record }), { fence: got.fence });
 */
export interface StatePort {
  /** The app's state; an empty one (emptyAppState) when none was ever written. */
  read(app: string): Promise<AppState>;
  update(app: string, fn: (current: AppState) => AppState, options?: { fence?: number }): Promise<AppState>;
}

/** Who holds an app's lock: the agent, the deploy it runs, and who asked for it. */
export interface LockHolder {
  agent: string;
  deployId: string;
  by?: Actor;
}

/**
 * `fence` is the holding's fencing token: higher for every new holder of the
 * app's lock, the same across renewals. Writes made under the lock carry it.
 */
export type LockResult = { acquired: true; fence: number } | { acquired: false; holder: LockHolder; seen?: LockSeen };

/**
 * What an agent tells of a lock another process holds, so people know
 * whether to wait and until when. Words only: taking a lock over never
 * reads another machine's clock.
 */
export interface LockSeen {
  /** When the holder last renewed it, as the holder's clock wrote it. */
  renewedAt?: string;
  /** It missed a renewal by this machine's clock: its agent is likely gone (killed, cut off). */
  looksDead: boolean;
  /** When this agent may take the lock over if nobody renews it first (by its own clock). */
  expiresAt: string;
}

/**
 * One deploy per app across every agent (a Lease in the cluster). An expired
 * lease may be taken over by `acquire`; the same agent process acquiring again
 * for the same deploy succeeds (a resume) with the same fence. Another process
 * is never the same holder, even one configured with the same identity.
 *
 * @example
 * const got = await lock.acquire('blog', { agent: 'agent-1', deployId: 'blog-1a2b' });
 * if (!got.acquired) console.log(`held by ${got.holder.agent}`);
 */
export interface LockPort {
  acquire(app: string, holder: LockHolder): Promise<LockResult>;
  /** Extends the lease; false when it was lost (expired and taken over). */
  renew(app: string, holder: LockHolder): Promise<boolean>;
  /** Gives the lease up if `holder` still holds it; otherwise does nothing. */
  release(app: string, holder: LockHolder): Promise<void>;
}

/**
 * One colour's ReplicaSet as the cluster reports it. Readiness counts are
 * only trusted when `observedGeneration >= generation` (the status describes
 * the current spec).
 */
export interface ReplicaSetView {
  /** The version label/annotation the colour was created with. */
  version: string;
  replicas: number;
  readyReplicas: number;
  generation: number;
  observedGeneration: number;
  /** Pod template, kept as AppState.previous so a retired colour can be re-created. */
  template: PodTemplateJson;
}

/** Both colours of an app; null where the colour's ReplicaSet does not exist. */
export type ColoursView = Record<Colour, ReplicaSetView | null>;

/** Where a new colour's pod template comes from. */
export type CreateSource =
  /** Mirror the ReplicaSet of `colour` (template and replica count), image tag set to the version. */
  | { kind: 'mirror'; colour: Colour }
  /** The app's template from config with its fallback replica count (no colour live yet). */
  | { kind: 'template' }
  /** A template recorded in AppState.previous (rollback after the old colour was retired). */
  | { kind: 'recorded'; template: PodTemplateJson; replicas: number };

/**
 * The cluster layer: an app's two colours as ReplicaSets.
 *
 * @example
 * await cluster.createColour(app, 'green', '20151025.143403', { kind: 'mirror', colour: 'blue' });
 * await cluster.waitReady(app, 'green', { timeoutMs: 600_000, onProgress: (r, d) => log(`${r}/${d} ready`) });
 */
export interface ClusterPort {
  observe(app: AppConfig): Promise<ColoursView>;
  /** Creates `<app>-<colour>`; rejects if it already exists. */
  createColour(app: AppConfig, colour: Colour, version: string, source: CreateSource): Promise<void>;
  /**
   * Resolves when every pod of the colour is Ready at the ReplicaSet's current
   * generation (a watch, not a sleep loop). Rejects with a SwitchyardError naming
   * the failing pod and its reason (CrashLoopBackOff, ImagePullBackOff, ...), on
   * `timeoutMs`, or when `signal` aborts.
   */
  waitReady(
    app: AppConfig,
    colour: Colour,
    options: { timeoutMs: number; signal?: AbortSignal; onProgress?: (ready: number, desired: number) => void },
  ): Promise<void>;
  /** Deletes the ReplicaSet and its pods and resolves once they are gone; a missing colour is not an error. */
  deleteColour(app: AppConfig, colour: Colour): Promise<void>;
  /** Sets the colour's desired replicas (its pods follow, not awaited); a missing colour is not an error. */
  scaleColour(app: AppConfig, colour: Colour, replicas: number): Promise<void>;
}

/** What each node's upstream file marks live. */
export interface FleetView {
  /** The colour every node marks live; null when they disagree or a node could not be read. */
  agreed: Colour | null;
  nodes: { node: string; colour: Colour | null; error?: string }[];
}

/**
 * What a committed switch reports. Adapters may return a richer object (e.g.
 * each node's old nginx worker pids); the runner hands the same object back
 * to `waitDrained`.
 */
export interface SwitchOutcome {
  /** First node's reload to the last one's. */
  mixedWindowMs: number;
  nodes: { node: string; ms: number }[];
  /** Files staged for this switch had changed on some node, so it prepared in full: why. */
  restaged?: string;
}

/**
 * The new upstream file staged on every node, ahead of its switch. Adapters
 * return a richer object (what each node's files were); the runner hands it
 * back to `switchTo`.
 */
export interface StagedFiles {
  colour: Colour;
}

/** What a wait for the old nginx workers found. */
export interface DrainVerdict {
  drained: boolean;
  /** Nodes whose drain could not be told, each as `<node>: <why>`. */
  problems: string[];
}

/**
 * The fleet of nginx nodes, over SSH.
 *
 * @example
 * const nodes = await fleet.discover();
 * const view = await fleet.liveColour(nodes, app); // { agreed: 'blue', nodes: [...] }
 * const staged = await fleet.stage(nodes, app, 'green', { from: 'blue' }); // while waiting for the promote
 * const outcome = await fleet.switchTo(nodes, app, 'green', { from: 'blue', staged, onProgress: (d, t) => log(`${d}/${t}`) });
 * await fleet.waitDrained(outcome, new Date(Date.now() + 30_000));
 * await fleet.afterSwitch(nodes, app);
 */
export interface FleetPort {
  /** The nodes to switch (EC2 by tag, or the static list). */
  discover(): Promise<FleetNode[]>;
  liveColour(nodes: FleetNode[], app: AppConfig): Promise<FleetView>;
  /**
   * What each node's nginx really serves for the app: the colour its file
   * marks live where nginx loads that file and (with the app's probe) a
   * request through it is answered by that colour; null with the reason
   * elsewhere. For fleet reports (check, reconcile, the drift check).
   */
  serving(nodes: FleetNode[], app: AppConfig): Promise<FleetView>;
  /**
   * Two-phase switch of every node to `colour`. Rejects with a SwitchyardError
   * naming each failing node; the fleet has then already put every node back
   * on the colour it had, so the caller only records the failure.
   *
   * With `from`, every node must mark `from` live when the switch reads it
   * (its prepare, right before anything changes): otherwise it is refused
   * with 'fleet-disagrees', naming the nodes, and nothing changes. Without
   * it, nodes that disagree are all brought to `colour`: the core decides
   * when that is right (putting back an interrupted switch, a reconcile).
   * With `fence` (LockResult.fence), each node refuses a commit under a lower
   * fence than one it already committed under; the switch then rejects with
   * lock-held (this runner lost the app's lock). With `staged` (from
   * `stage`), only the commit is left to do, unless a node's files changed
   * since: then it prepares in full and says why in `restaged`.
   */
  switchTo(
    nodes: FleetNode[],
    app: AppConfig,
    colour: Colour,
    options?: { from?: Colour; fence?: number; staged?: StagedFiles; onProgress?: (switched: number, total: number) => void },
  ): Promise<SwitchOutcome>;
  /**
   * Prepares a switch to `colour` ahead of it (while the deploy waits for
   * its promote): reads and checks every node as switchTo's prepare does,
   * `from` included, and stages the new file beside the live one. Changes
   * no traffic. Handed to switchTo as `staged`, it leaves the switch only
   * its commit, once every node is checked to hold what staging left.
   */
  stage(nodes: FleetNode[], app: AppConfig, colour: Colour, options: { from: Colour }): Promise<StagedFiles>;
  /** Removes the app's staged file from every node (a deploy undone after staging); nothing else changes. */
  unstage(nodes: FleetNode[], app: AppConfig): Promise<void>;
  /**
   * The app's post-deploy command and release clean-up on every node, once a
   * forward switch is kept (never after a switch back). A node where it fails
   * is logged, not thrown: traffic has moved and stays.
   */
  afterSwitch(nodes: FleetNode[], app: AppConfig): Promise<void>;
  /**
   * `drained` once every node's previous nginx workers have exited; not when
   * `until` came first or some node could not tell, each such node named with
   * why in `problems` (it counts as not drained: unknown, never a guess).
   */
  waitDrained(outcome: SwitchOutcome, until: Date, signal?: AbortSignal): Promise<DrainVerdict>;
  /** GETs `path` through each node's NodePort of `colour`; rejects naming every node that did not answer `status`. */
  smoke(
    nodes: FleetNode[],
    app: AppConfig,
    colour: Colour,
    check: { path: string; status: number },
    signal?: AbortSignal,
  ): Promise<void>;
}

/**
 * Time, injected so tests never really wait.
 *
 * @example
 * await clock.sleep(5_000, signal); // returns early, without throwing, when signal aborts
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts (it never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

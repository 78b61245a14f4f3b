import { PassThrough } from 'node:stream';
import type { NginxConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Colour } from '../validate/patterns.js';
import { type LoadsVerdict, checkLoaded } from './loaded-config.js';
import type { NodeTruth } from './node-truth.js';
import { type ProbeTarget, probeNode } from './probe-node.js';
import {
  CLEAN_RELEASES,
  COMMIT_UPSTREAM,
  DISCARD_STAGED,
  LOADED_CONFIG,
  POST_DEPLOY,
  READ_UPSTREAM,
  REVERT_UPSTREAM,
  STAGE_UPSTREAM,
  WAIT_DRAINED,
  nodeFiles,
  reports,
} from './remote-scripts.js';
import type { SshPool } from './ssh-pool.js';
import { DISARMED, FENCED_OUT_EXIT, NOT_PUT_BACK_EXIT, SCRIPT_EXITS, type NodeFailure, describeReloadFailure, failures, message, prepareError } from './switch-failure.js';
import { parseUpstream, renderUpstream, type UpstreamApp, upstreamName } from './upstream-file.js';
import { reconcileHint } from '../errors/reconcile-hint.js';

/**
 * The part of an app's config the fleet needs: its name, ports and upstream
 * (`upstreamName`, else `<name>LB`), and where a request through each node's
 * nginx proves which colour really serves (`probe`, optional).
 */
export type FleetApp = UpstreamApp & { probe?: ProbeTarget | undefined };

export interface NodeSwitchReport {
  node: string;
  from: Colour;
  /** False where the node already served the target colour. */
  changed: boolean;
  prepareMs: number;
  commitMs: number;
  /** Remote clock, epoch ms: when the reload was sent and when new workers were seen. */
  reloadStartedAt?: number;
  reloadConfirmedAt?: number;
  /** Workers of the previous generation; they exit once their in-flight requests end. */
  oldWorkers: number[];
}

export interface SwitchResult {
  app: string;
  from: Colour;
  to: Colour;
  nodes: NodeSwitchReport[];
  prepareMs: number;
  commitMs: number;
  /**
   * The mixed window, from the first node's reload to the last one's (remote
   * clocks): while it lasts, nodes serve different colours.
   */
  mixedWindowMs: number;
  /**
   * From the first reload to the last node confirmed serving only the new
   * colour. Longer than the mixed window by nginx's own hand-over on each
   * node (its master lets old workers accept for 100 ms after new ones start).
   */
  settledMs: number;
  /**
   * With a staged prepare handed in: whether it stood for the prepare, or
   * why the switch prepared in full instead (a file changed since staging).
   * Used, there is no prepare (`prepareMs` near 0: each node checks within
   * its commit); not used, `prepareMs` counts the refused commit and the
   * full prepare.
   */
  staging?: { used: true } | { used: false; why: string };
}

/**
 * A prepare done ahead (FleetSwitch.stage): every node as it read it, and
 * for each node that changes, the hashes of the staged file and of the
 * live one as staging backed it up, which each node's commit compares.
 */
export interface StagedSwitch {
  app: string;
  from: Colour;
  to: Colour;
  nodes: Array<{ node: FleetNode; live: Colour; prepareMs: number; sha?: { staged: string; live: string } }>;
  prepareMs: number;
}

export interface LiveColours {
  /** The colour every node marks live, or null when they disagree or some could not be read. */
  agreed: Colour | null;
  /** `settled`: the read found a switch interrupted between "armed" and "confirmed" on the node, and settled it first. */
  nodes: Array<{ node: string; colour?: Colour; settled?: boolean; error?: string }>;
}

export interface DrainReport {
  node: string;
  /** True once every old worker exited; false when the deadline came first or it could not be told (`error`). */
  drained: boolean;
  afterMs: number;
  /** Why the node's drain could not be told (unreachable, no nginx master to ask): not drained, as far as anyone knows. */
  error?: string;
}

export interface AfterSwitchReport {
  node: string;
  ok: boolean;
  /** Release folders removed by clean-up. */
  removed: string[];
  error?: string;
}

/** What runs on each node once traffic moved: the app's post-deploy command and release clean-up. */
export interface AfterSwitchApp {
  name: string;
  postDeployCommand?: string | undefined;
  releasesDir?: string | undefined;
  keepReleases?: number | undefined;
}

export type FleetEvent =
  | { kind: 'prepared' | 'switched' | 'reverted' | 'drained'; node: string; done: number; total: number }
  | { kind: 'switch-failed'; node: string; error: string }
  /** The node's nginx is busy with another run (another app's switch, a settle): this one waits for it. */
  | { kind: 'node-lock-waiting'; node: string; holder: string };

const upstreamPath = (nginx: NginxConfig, app: FleetApp): string => `${nginx.backendsDir}/${app.name}.conf`;

/**
 * Makes one colour live on every node, in two phases, so that all nodes end
 * on the same colour (docs/architecture.md, invariant 2), nginx only ever
 * runs a config that passes `nginx -t` (invariant 3), and a node's live
 * colour is what its nginx runs, not what its file says (invariant 11).
 *
 * prepare (every node in parallel): read the upstream file (settling first a
 * switch left between "armed" and "confirmed", see remote-scripts), prove
 * that nginx loads it (`nginx -T`) and, with a `probe`, that nginx serves
 * what it says; check that all nodes agree on the live colour, stage the new
 * file beside the live one and keep a backup. A node that cannot be reached
 * or proven stops the switch here, before anything changed.
 *
 * commit: every node arms (renames the staged file in and runs `nginx -t`),
 * then every node reloads and confirms the reload by a new generation of
 * workers; with a `probe`, a request through every node's nginx must then be
 * answered through the new colour. If any node fails, every other node is
 * put back: the ones that armed settle themselves when told to disarm, and
 * the ones that reloaded are reverted.
 *
 * @example
 * const fleet = new FleetSwitch({ pool, nginx: config.nginx });
 * const result = await fleet.switchTo(nodes, { name: 'blog', portBase: 30000 }, 'green');
 * console.log(result.mixedWindowMs);
 */
export class FleetSwitch {
  private readonly pool: SshPool;
  private readonly nginx: NginxConfig;
  private readonly log: Logger;
  private readonly onEvent: (event: FleetEvent) => void;
  private readonly now: () => number;

  constructor(options: { pool: SshPool; nginx: NginxConfig; log?: Logger; onEvent?: (event: FleetEvent) => void; now?: () => number }) {
    this.pool = options.pool;
    this.nginx = options.nginx;
    this.log = options.log ?? silentLogger;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.now = options.now ?? Date.now;
  }

  /** Reads which colour each node marks live, once any interrupted switch on it is settled. */
  async readLive(nodes: readonly FleetNode[], app: FleetApp): Promise<LiveColours> {
    const settled = await this.pool.forEach(nodes, (node) => this.readNode(node, app));
    const result: LiveColours['nodes'] = settled.map((s, i) =>
      s.status === 'fulfilled'
        ? { node: nodes[i]!.name, colour: s.value.live, ...(s.value.settled ? { settled: true } : {}) }
        : { node: nodes[i]!.name, error: message(s.reason) },
    );
    const colours = new Set(result.map((r) => r.colour));
    const agreed = colours.size === 1 && !colours.has(undefined) ? [...colours][0]! : null;
    return { agreed, nodes: result };
  }

  /**
   * What each node really does for the app: its file (settled first), whether
   * its nginx loads that file, and, with a `probe`, which colour a request
   * through it is answered by. Never rejects; each node's problems are in
   * its report.
   */
  async truth(nodes: readonly FleetNode[], app: FleetApp): Promise<NodeTruth[]> {
    const settled = await this.pool.forEach(nodes, async (node): Promise<NodeTruth> => {
      const [read, loads, serves] = await Promise.allSettled([this.readNode(node, app), this.loads(node, app), this.serves(node, app)]);
      const file = read.status === 'fulfilled' ? read.value.live : null;
      const loaded: NodeTruth['loads'] = loads.status === 'rejected' ? { ok: false, detail: message(loads.reason) }
        : loads.value.ok ? { ok: true } : { ok: false, detail: loads.value.reason };
      const served = serves.status === 'fulfilled' ? serves.value : { colour: null, detail: message(serves.reason) };
      return {
        node: node.name,
        file,
        settled: read.status === 'fulfilled' && read.value.settled,
        loads: loaded,
        ...(served ? { serves: served } : {}),
        ...(read.status === 'rejected' ? { error: message(read.reason) } : {}),
        agrees: file !== null && loaded.ok && (!served || served.colour === file),
      };
    });
    return settled.map((s) => (s as PromiseFulfilledResult<NodeTruth>).value);
  }

  private async readNode(node: FleetNode, app: FleetApp): Promise<{ text: string; live: Colour; settled: boolean }> {
    const path = upstreamPath(this.nginx, app);
    const res = await this.pool.exec(node, READ_UPSTREAM, this.fileArgs(path), { timeoutMs: this.timing.lockedMs });
    const at = res.stdout.search(/^@file$/m);
    const seen = reports(at < 0 ? res.stdout : res.stdout.slice(0, at));
    if (res.code === 3) throw new SwitchyardError('upstream-missing', `cannot read ${path}: ${res.stderr.trim()}`);
    if (res.code !== 0 || at < 0) {
      const why = describeReloadFailure(res.code, res.stdout, seen, res.stderr);
      throw new SwitchyardError('ssh-command-failed', res.code === NOT_PUT_BACK_EXIT ? `a switch interrupted on the node left ${path} armed, and ${why}` : `cannot read ${path}: ${why}`, {
        ...(res.code === NOT_PUT_BACK_EXIT ? { hint: `put the right file back as ${path} by hand, reload nginx, then delete ${nodeFiles(path).journal}` } : {}),
      });
    }
    const text = res.stdout.slice(at + '@file\n'.length);
    return { text, live: parseUpstream(text, app, path).live, settled: seen.has('settled') };
  }

  /** Whether the node's nginx loads the app's upstream file (from its `nginx -T`); rejects when that cannot be told. */
  private async loads(node: FleetNode, app: FleetApp): Promise<LoadsVerdict> {
    const path = upstreamPath(this.nginx, app);
    const res = await this.pool.exec(node, LOADED_CONFIG, [this.nginx.dumpCommand, upstreamName(app)]);
    if (res.code !== 0) {
      const detail = res.stdout.split('\n').find((l) => l.trim() && !l.startsWith('@'))?.trim() ?? res.stderr.trim().split('\n')[0] ?? '';
      throw new SwitchyardError('ssh-command-failed', `cannot tell whether nginx loads ${path}: \`${this.nginx.dumpCommand}\` failed${detail ? ` (${detail})` : ` (exit ${res.code})`}`, {
        hint: 'nginx.dumpCommand must print the configuration nginx loads (nginx -T); with a narrow sudoers rule, allow it there',
      });
    }
    return checkLoaded(res.stdout, app, path);
  }

  /** The colour a request through the node's nginx is answered by; undefined when the app has no probe. */
  private async serves(node: FleetNode, app: FleetApp): Promise<{ colour: Colour | null; detail: string } | undefined> {
    if (!app.probe) return undefined;
    const r = await probeNode(node, app, app.probe);
    return 'error' in r ? { colour: null, detail: r.error } : { colour: r.colour, detail: `answered ${r.status} through ${r.upstream}` };
  }

  /**
   * Switches every node to `to`. Nodes already there are left alone, so a
   * repeated switch changes nothing. With `repair`, nodes that disagree are
   * all brought to `to` (used to unwind a switch that was interrupted). With
   * `fence` (the app's lock's LockResult.fence), each node refuses the commit
   * if a higher one already committed there, and the switch fails with
   * lock-held. With
   * `from` (the colour the record says is live), every node must mark `from`
   * live, read in this very prepare: a node on another colour (drift since
   * discovery: a hand edit, a node salt added later) refuses the switch.
   *
   * With `staged` (from `stage`, for the same nodes, colours and `from`),
   * there is no prepare: each node's commit first checks, under the app's
   * lock it then keeps, that its files are what staging left (see
   * COMMIT_UPSTREAM); a live file the same to the byte still marks `from`
   * live, so agreement holds. If any node's changed, every node is told to
   * leave before it touches anything, and the switch prepares in full (so
   * re-checking agreement), says so in the log, and reports why in
   * `staging`.
   */
  async switchTo(
    nodes: readonly FleetNode[],
    app: FleetApp,
    to: Colour,
    options: { repair?: boolean; from?: Colour; fence?: number; staged?: StagedSwitch; onEvent?: (event: FleetEvent) => void } = {},
  ): Promise<SwitchResult> {
    const emit = (event: FleetEvent): void => {
      this.onEvent(event);
      options.onEvent?.(event);
    };
    const prepareStart = performance.now();
    let staging: SwitchResult['staging'];
    if (options.staged) {
      const tried = stagedMismatch(options.staged, nodes, app, to, options.from)
        ?? (await this.commit(options.staged, app, to, prepareStart, { ...options, staging: { used: true } }, emit));
      if (typeof tried !== 'string') return tried;
      this.log.warn({ app: app.name, to, why: tried }, 'files staged during verification changed since; preparing the switch in full');
      staging = { used: false, why: tried };
    }
    const prepared = await this.prepare(nodes, app, to, options, emit);
    return (await this.commit(prepared, app, to, prepareStart, { ...options, ...(staging ? { staging } : {}) }, emit)) as SwitchResult;
  }

  /**
   * The prepare of a switch to `to`, done ahead (while a deploy waits for
   * its promote): every node read and proven, agreement checked (`from`),
   * the new file staged beside the live one. Changes no traffic: nginx does
   * not load staged files. Hand the result to switchTo as `staged`; to drop
   * it instead, `unstage`. Staging again (an agent that restarted) simply
   * overwrites what was staged.
   *
   * @example
   * const staged = await fleet.stage(nodes, app, 'green', { from: 'blue' });
   * // ... hours later, on promote:
   * await fleet.switchTo(nodes, app, 'green', { from: 'blue', staged });
   */
  stage(nodes: readonly FleetNode[], app: FleetApp, to: Colour, options: { from: Colour }): Promise<StagedSwitch> {
    return this.prepare(nodes, app, to, options, this.onEvent);
  }

  /** Removes the app's staged file on every node (a deploy aborted or failed after staging); rejects naming the nodes where it could not. */
  async unstage(nodes: readonly FleetNode[], app: FleetApp): Promise<void> {
    const staged = nodeFiles(upstreamPath(this.nginx, app)).staged;
    const settled = await this.pool.forEach(nodes, async (node) => {
      const res = await this.pool.exec(node, DISCARD_STAGED, [staged]);
      if (res.code !== 0) throw new Error(`cannot remove ${staged}: ${res.stderr.trim() || `exit ${res.code}`}`);
    });
    const left = failures(settled, nodes);
    if (left.length > 0) {
      throw new SwitchyardError('ssh-command-failed', `staged files of ${app.name} left on ${left.map((f) => `${f.node.name} (${f.error})`).join(', ')}`, {
        hint: `nginx does not load them; remove ${staged} by hand, or leave it for the next switch to overwrite`,
      });
    }
  }

  /** Phase 1: read and prove every node, check agreement, stage the new file; nothing live changes. */
  private async prepare(
    nodes: readonly FleetNode[],
    app: FleetApp,
    to: Colour,
    options: { repair?: boolean; from?: Colour },
    emit: (event: FleetEvent) => void,
  ): Promise<StagedSwitch> {
    if (nodes.length === 0) throw new SwitchyardError('switch-prepare-failed', `no nodes to switch ${app.name} on`, { hint: 'check discovery' });
    const path = upstreamPath(this.nginx, app);
    const { staged } = nodeFiles(path);
    const prepareStart = performance.now();

    // Phase 1a: read every node, and prove that its nginx runs what the file says.
    const reads = await this.pool.forEach(nodes, async (node) => {
      const started = performance.now();
      const [read, loads] = await Promise.all([this.readNode(node, app), this.loads(node, app)]);
      if (!loads.ok) throw new SwitchyardError('switch-prepare-failed', loads.reason, { hint: loads.hint });
      const served = await this.serves(node, app);
      if (served && served.colour !== read.live) {
        throw new SwitchyardError('switch-prepare-failed', `${path} marks ${read.live} live but a request through nginx ${served.detail}`, {
          hint: served.colour
            ? `find why nginx does not send ${app.name} to upstream ${upstreamName(app)} (its vhost's proxy_pass, an include)`
            : `check the app's probe in the config and that its vhost adds the X-Switchyard-Upstream header (nginx-templates/vhost.conf.hbs)`,
        });
      }
      return { node, ...read, started };
    });
    const unreadable = failures(reads, nodes);
    if (unreadable.length > 0) throw prepareError(app, unreadable, 'nothing was changed on any node');
    const read = reads.map((r) => (r as PromiseFulfilledResult<{ node: FleetNode; text: string; live: Colour; started: number }>).value);
    const byColour = groupBy(read, (r) => r.live);
    const expected = options.from;
    if ((byColour.size > 1 && !options.repair) || (expected && read.some((r) => r.live !== expected))) {
      const list = [...byColour].map(([colour, rs]) => `${colour} on ${rs.map((r) => r.node.name).join(', ')}`).join('; ');
      const against = expected ? ` (the record says ${expected})` : '';
      throw new SwitchyardError('fleet-disagrees', `nodes disagree on ${app.name}'s live colour: ${list}${against}; nothing was changed`, {
        hint: reconcileHint(app.name),
        details: { colours: Object.fromEntries([...byColour].map(([c, rs]) => [c, rs.map((r) => r.node.name)])) },
      });
    }
    const from: Colour = read.find((r) => r.live !== to)?.live ?? to;
    const pending = read.filter((r) => r.live !== to);

    // Phase 1b: stage the new file and keep a backup on every node that changes.
    const stages = await this.pool.forEach(pending, async (r) => {
      const text = renderUpstream(r.text, app, to, `${r.node.name}:${path}`);
      const res = await this.pool.exec(r.node, STAGE_UPSTREAM, this.fileArgs(path), { stdin: text, timeoutMs: this.timing.lockedMs });
      const seen = reports(res.stdout);
      const [stagedSha, liveSha] = (seen.get('staged') ?? '').split(' ');
      if (res.code !== 0 || !stagedSha || !liveSha) throw new Error(`cannot stage ${staged}: ${describeReloadFailure(res.code, res.stdout, seen, res.stderr)}`);
      return { prepareMs: performance.now() - r.started, sha: { staged: stagedSha, live: liveSha } };
    });
    const unstaged = failures(stages, pending.map((r) => r.node));
    if (unstaged.length > 0) {
      await this.pool.forEach(pending, (r) => this.pool.exec(r.node, DISCARD_STAGED, [staged]));
      throw prepareError(app, unstaged, 'staged files were removed; the live files were not touched');
    }
    stages.forEach((_, i) => emit({ kind: 'prepared', node: pending[i]!.node.name, done: i + 1, total: pending.length }));
    return {
      app: app.name,
      from,
      to,
      nodes: read.map((r) => {
        const i = pending.indexOf(r);
        if (i < 0) return { node: r.node, live: r.live, prepareMs: performance.now() - r.started };
        return { node: r.node, live: r.live, ...(stages[i] as PromiseFulfilledResult<{ prepareMs: number; sha: { staged: string; live: string } }>).value };
      }),
      prepareMs: performance.now() - prepareStart,
    };
  }

  /**
   * Phase 2: commit every node at once (the connections are open; the
   * pool's bound is for opening them). Each node takes its node lock (one
   * node at a time, see lockNodes), arms, then waits at the barrier until
   * every node has armed; only then are all told to reload.
   *
   * A staged prepare (`staging.used`) is checked by each node's script
   * first: where any node's files changed, every node is told to leave
   * (none has touched anything yet) and the answer is why, as a string.
   */
  private async commit(
    prepared: StagedSwitch,
    app: FleetApp,
    to: Colour,
    prepareStart: number,
    options: { fence?: number; staging?: SwitchResult['staging'] },
    emit: (event: FleetEvent) => void,
  ): Promise<SwitchResult | string> {
    const path = upstreamPath(this.nginx, app);
    const { from } = prepared;
    const nodes = prepared.nodes.map((n) => n.node);
    const pending = prepared.nodes.filter((n) => n.sha);
    const commitStart = performance.now();
    const prepareMs = commitStart - prepareStart;
    const pendingNodes = pending.map((r) => r.node);
    const checkStaged = options.staging?.used === true;
    const begin = async (): Promise<Commit[] | string> => {
      const started = pending.map((r) => this.startCommit(r.node, path, { fence: options.fence, ...(checkStaged ? { sha: r.sha! } : {}) }, emit));
      if (!checkStaged) return started;
      await Promise.all(started.map((c) => c.stageCheckedOrDone));
      const changed = started.flatMap((c) => (c.stageUnchanged() ? [] : [`${c.node.name}: ${c.stageChanged() ?? 'its commit ended before it could check'}`]));
      if (changed.length === 0) return started;
      await leave(started);
      return changed.join('; ');
    };
    let commits = await begin();
    if (typeof commits === 'string') return commits;
    if (!(await this.tryLockNodes(commits))) {
      // Some node's lock is taken (another app's switch, a settle): none is kept out of order
      // while waiting, so every node leaves and the commit starts over, taking them in order.
      await leave(commits);
      commits = await begin();
      if (typeof commits === 'string') return commits;
      await this.lockNodes(commits);
    }
    await Promise.all(commits.map((c) => c.armedOrDone));
    const allArmed = commits.every((c) => c.armed());
    for (const c of commits) if (!c.go.writableEnded) c.go.end(allArmed ? 'reload\n' : 'disarm\n');
    let switched = 0;
    const settled = await Promise.allSettled(
      commits.map(async (c) => {
        const report = await c.done;
        emit({ kind: 'switched', node: c.node.name, done: ++switched, total: pending.length });
        return report;
      }),
    );
    const commitMs = performance.now() - commitStart;
    const failed = failures(settled, pendingNodes).filter((f) => f.error !== DISARMED);
    if (failed.length > 0) {
      // A node whose channel dropped after `reload` was sent may have reloaded: put it back too.
      const unheard = new Set(failed.filter((f) => f.unheard).map((f) => f.node));
      const reloaded = allArmed ? pendingNodes.filter((n, i) => settled[i]!.status === 'fulfilled' || unheard.has(n)) : [];
      throw await this.putBack(app, reloaded, failed, from, to, path, emit);
    }

    // The reload is confirmed; with a probe, so must the traffic be.
    const moved = await Promise.all(nodes.map((node) => this.serves(node, app)));
    const stayed: NodeFailure[] = nodes.flatMap((node, i) => {
      const served = moved[i];
      return served && served.colour !== to
        ? [{ node, error: `traffic did not move: after the reload, a request through nginx ${served.detail}`, unheard: false, notPutBack: false }]
        : [];
    });
    if (stayed.length > 0) throw await this.putBack(app, pendingNodes, stayed, from, to, path, emit);

    const nodeReports: NodeSwitchReport[] = prepared.nodes.map((r) => {
      const i = pending.indexOf(r);
      if (i < 0) return { node: r.node.name, from: r.live, changed: false, prepareMs: r.prepareMs, commitMs: 0, oldWorkers: [] };
      const report = (settled[i] as PromiseFulfilledResult<ReloadReport & { commitMs: number }>).value;
      return { node: r.node.name, from: r.live, changed: true, prepareMs: r.prepareMs, ...report };
    });
    const starts = nodeReports.flatMap((n) => n.reloadStartedAt ?? []);
    const ends = nodeReports.flatMap((n) => n.reloadConfirmedAt ?? []);
    const mixedWindowMs = starts.length > 0 ? Math.max(...starts) - Math.min(...starts) : 0;
    const settledMs = starts.length > 0 ? Math.max(...ends) - Math.min(...starts) : 0;
    const result: SwitchResult = { app: app.name, from, to, nodes: nodeReports, prepareMs, commitMs, mixedWindowMs, settledMs, ...(options.staging ? { staging: options.staging } : {}) };
    this.log.info({ app: app.name, from, to, prepareMs, commitMs, mixedWindowMs, settledMs, changed: pending.length, staging: options.staging }, 'fleet switched');
    return result;
  }

  /**
   * Takes every node's lock at once when all are free (one round trip,
   * nobody waits), and tells them to arm. False, having armed none, when
   * any node's lock was taken or its commit ended: the caller then lets
   * them all go.
   */
  private async tryLockNodes(commits: Commit[]): Promise<boolean> {
    for (const c of commits) c.go.write('try\n');
    await Promise.all(commits.map((c) => c.lockedOrDone));
    if (!commits.every((c) => c.locked())) return false;
    for (const c of commits) c.go.write('arm\n');
    return true;
  }

  /**
   * Takes the node lock of every node one after the other, in one order
   * (by address) for every switch of every app: a switch holding some nodes
   * waits only for nodes later in that order, so two switches never wait on
   * each other, whatever nodes they share. A node is asked once the one
   * before it holds its lock; the whole wait is bounded by the command
   * timeout. When a node cannot take its lock, the rest are not asked and
   * every node is told to disarm.
   */
  private async lockNodes(commits: Commit[]): Promise<void> {
    const ordered = [...commits].sort((a, b) => (lockOrder(a.node) < lockOrder(b.node) ? -1 : 1));
    const deadline = performance.now() + this.pool.commandTimeoutMs;
    for (const c of ordered) {
      c.go.write(`lock ${Math.max(0, Math.round(deadline - performance.now()))}\n`);
      await c.lockedOrDone;
      if (!c.locked()) {
        for (const other of commits) other.go.end('disarm\n');
        return;
      }
    }
  }

  /**
   * Starts a node's commit: once told `lock` it takes the node lock, arms,
   * reports `@armed`, and waits at the barrier for `go` to say reload or
   * disarm.
   */
  private startCommit(node: FleetNode, path: string, run: { fence: number | undefined; sha?: { staged: string; live: string } }, emit: (event: FleetEvent) => void): Commit {
    const go = new PassThrough();
    let output = '';
    const seen = new Map<string, string>();
    const signals = { 'node-locked': latch(), armed: latch(), 'stage-checked': latch(), 'node-lock-busy': latch() };
    const started = performance.now();
    const done = this.runScript(node, COMMIT_UPSTREAM, path, {
      stdin: go,
      // A long timeout: the node may first wait for its node lock (lockNodes bounds that).
      timeoutMs: 2 * this.pool.commandTimeoutMs,
      ...(run.fence !== undefined ? { fence: run.fence } : {}),
      ...(run.sha ? { staged: run.sha } : {}),
      onStdout: (chunk) => {
        output += chunk.toString();
        for (const m of output.matchAll(/^@(node-locked|node-lock-busy|armed|node-lock-waiting|stage-unchanged|stage-changed)(?:: (.*))?\n/gm)) {
          const key = m[1]!;
          if (seen.has(key)) continue;
          seen.set(key, m[2] ?? '');
          if (key === 'node-lock-waiting') {
            this.log.warn({ node: node.name, path, holder: m[2] }, 'waiting for the node lock: another run is testing or reloading its nginx');
            emit({ kind: 'node-lock-waiting', node: node.name, holder: m[2] ?? '' });
          } else if (key === 'stage-unchanged' || key === 'stage-changed') signals['stage-checked'].resolve();
          else signals[key as 'node-locked' | 'node-lock-busy' | 'armed'].resolve();
        }
      },
    }).then((report) => ({ ...report, commitMs: performance.now() - started }));
    const orDone = (p: Promise<void>): Promise<void> => Promise.race([p, done.then(noop, noop)]);
    return {
      node,
      go,
      done,
      locked: () => seen.has('node-locked'),
      // A busy answer to `try` ends this wait too.
      lockedOrDone: orDone(Promise.race([signals['node-locked'].promise, signals['node-lock-busy'].promise])),
      armed: () => seen.has('armed'),
      armedOrDone: orDone(signals.armed.promise),
      stageUnchanged: () => seen.has('stage-unchanged'),
      stageChanged: () => seen.get('stage-changed'),
      stageCheckedOrDone: orDone(signals['stage-checked'].promise),
    };
  }

  /**
   * After a failed commit: nodes that reloaded are reverted (backup in, test,
   * reload, confirm). Nodes that only armed settled themselves when told to
   * disarm, and failed nodes put theirs back before failing, or say they
   * could not.
   */
  private async putBack(
    app: FleetApp,
    reloaded: FleetNode[],
    failed: NodeFailure[],
    from: Colour,
    to: Colour,
    path: string,
    emit: (event: FleetEvent) => void,
  ): Promise<SwitchyardError> {
    let reverted = 0;
    const reverts = await Promise.allSettled(
      reloaded.map(async (node) => {
        await this.runScript(node, REVERT_UPSTREAM, path, { timeoutMs: this.timing.lockedMs });
        emit({ kind: 'reverted', node: node.name, done: ++reverted, total: reloaded.length });
      }),
    );
    await Promise.allSettled(failed.map((f) => this.pool.exec(f.node, DISCARD_STAGED, [nodeFiles(path).staged])));
    for (const f of failed) emit({ kind: 'switch-failed', node: f.node.name, error: f.error });

    const stuck = [...failures(reverts, reloaded), ...failed.filter((f) => f.notPutBack && !reloaded.includes(f.node))];
    const why = failed.map((f) => `${f.node.name}: ${f.error}`).join('; ');
    const putBack = reloaded.length > 0
      ? `${reloaded.length - stuck.filter((f) => reloaded.includes(f.node)).length} node(s) that had reloaded put back on ${from}`
      : `no node had reloaded ${to}; every node was put back on ${from}`;
    const stuckText = stuck.length > 0 ? `; COULD NOT PUT BACK ${stuck.map((f) => `${f.node.name} (${f.error})`).join(', ')}` : '';
    this.log.error({ app: app.name, from, to, failed, stuck }, 'fleet switch failed');
    // A node that refused by fence says this runner lost the app's lock: the runner must stop, not unwind.
    const fencedOut = failed.some((f) => f.fencedOut);
    return new SwitchyardError(fencedOut ? 'lock-held' : 'switch-commit-failed', `switching ${app.name} to ${to} failed on ${why}; ${putBack}${stuckText}`, {
      hint: fencedOut
        ? `another holder of ${app.name}'s lock has committed since this run took it: this run stops; see \`switchyard status ${app.name}\``
        : stuck.length > 0
        ? `nodes may now disagree: fix the named nodes, then run \`switchyard rollback ${app.name}\``
        : `every node serves ${from}; fix the named node(s) and deploy again`,
      details: { failed: failed.map((f) => ({ node: f.node.name, error: f.error })), notPutBack: stuck.map((f) => f.node.name) },
    });
  }

  /**
   * Drain by evidence: waits on every switched node until the previous
   * generation of nginx workers has exited (each exits once its in-flight
   * requests end), or until the deadline, whichever comes first. `signal`
   * ends the wait at once (a shutdown or an abort of the deploy).
   */
  async waitDrained(nodes: readonly FleetNode[], result: SwitchResult, until: Date, signal?: AbortSignal): Promise<DrainReport[]> {
    const started = performance.now();
    const draining = result.nodes.filter((n) => n.changed && n.oldWorkers.length > 0);
    const byName = new Map(nodes.map((n) => [n.name, n]));
    let done = 0;
    const settled = await this.pool.forEach(draining, async (report): Promise<DrainReport> => {
      const node = byName.get(report.node);
      if (!node) throw new Error(`node ${report.node} is not in the node list`);
      const remainingMs = Math.max(0, until.getTime() - this.now());
      const res = await this.pool.exec(node, WAIT_DRAINED, [this.nginx.pidFile, report.oldWorkers.join(' '), String(Math.round(remainingMs))], {
        timeoutMs: remainingMs + 10_000,
        ...(signal ? { signal } : {}),
      });
      const seen = reports(res.stdout);
      if (!seen.has('drained') && !seen.has('still-draining')) {
        throw new SwitchyardError('ssh-command-failed', `cannot tell whether the old nginx workers drained: ${seen.get('drain-unknown') ?? `exit ${res.code}${res.stderr.trim() ? `: ${res.stderr.trim().split('\n')[0]}` : ''}`}`);
      }
      const drained = seen.has('drained');
      if (drained) this.onEvent({ kind: 'drained', node: report.node, done: ++done, total: draining.length });
      return { node: report.node, drained, afterMs: performance.now() - started };
    });
    return settled.map((s, i) =>
      s.status === 'fulfilled' ? s.value : { node: draining[i]!.node, drained: false, afterMs: performance.now() - started, error: message(s.reason) },
    );
  }

  /**
   * Runs the app's post-deploy command and keeps the newest N release folders
   * on every node. Failures are reported per node; traffic has already moved,
   * so they do not undo the switch.
   */
  async afterSwitch(nodes: readonly FleetNode[], app: AfterSwitchApp): Promise<AfterSwitchReport[]> {
    const settled = await this.pool.forEach(nodes, async (node): Promise<AfterSwitchReport> => {
      if (app.postDeployCommand) {
        const res = await this.pool.exec(node, POST_DEPLOY, [app.postDeployCommand]);
        if (res.code !== 0) throw new Error(`post-deploy command exited ${res.code}: ${(res.stderr || res.stdout).trim().split('\n')[0]}`);
      }
      let removed: string[] = [];
      if (app.releasesDir && app.keepReleases) {
        const res = await this.pool.exec(node, CLEAN_RELEASES, [app.releasesDir, String(app.keepReleases)]);
        if (res.code !== 0) throw new Error(`release clean-up in ${app.releasesDir} exited ${res.code}: ${res.stderr.trim()}`);
        removed = res.stdout.split('\n').filter((l) => l.startsWith('@removed ')).map((l) => l.slice('@removed '.length));
      }
      return { node: node.name, ok: true, removed };
    });
    return settled.map((s, i) => (s.status === 'fulfilled' ? s.value : { node: nodes[i]!.name, ok: false, removed: [], error: message(s.reason) }));
  }

  /**
   * The arguments of every script that touches the upstream file: the file,
   * the nginx commands and the waits. The node waits at the commit barrier
   * as long as the agent waits for a command; another run's lock is waited
   * for as long as a whole commit can hold it (barrier and reloads).
   */
  private fileArgs(path: string): string[] {
    const { confirmMs, barrierMs, lockMs } = this.timing;
    return [path, this.nginx.testCommand, this.nginx.reloadCommand, this.nginx.pidFile, String(confirmMs), String(barrierMs), String(lockMs)];
  }

  private get timing(): { confirmMs: number; barrierMs: number; lockMs: number; lockedMs: number } {
    const commandMs = this.pool.commandTimeoutMs;
    const confirmMs = Math.round(this.nginx.reloadConfirmSeconds * 1000);
    const lockMs = 2 * commandMs + 2 * confirmMs;
    return { confirmMs, barrierMs: commandMs, lockMs, lockedMs: lockMs + commandMs };
  }

  /** Runs a commit-family script and reads its report; rejects with the reason the node gave. */
  private async runScript(
    node: FleetNode,
    script: string,
    path: string,
    io: { stdin?: PassThrough; onStdout?: (chunk: Buffer) => void; timeoutMs?: number; fence?: number; staged?: { staged: string; live: string } } = {},
  ): Promise<ReloadReport> {
    const { fence, staged, ...exec } = io;
    const fenceArg = fence !== undefined ? [String(fence)] : staged ? [''] : [];
    const res = await this.pool.exec(node, script, [...this.fileArgs(path), ...fenceArg, ...(staged ? [staged.staged, staged.live] : [])], exec);
    const seen = reports(res.stdout);
    if (res.code !== 0) {
      const why = describeReloadFailure(res.code, res.stdout, seen, res.stderr);
      if (res.code === FENCED_OUT_EXIT) throw new SwitchyardError('lock-held', why);
      // An exit none of the scripts gives (a shell that died, a tool missing) says nothing about nginx: unknown.
      const unknown = !SCRIPT_EXITS.has(res.code);
      throw new SwitchyardError('switch-commit-failed', unknown ? `state unknown: ${why}` : why, {
        details: { notPutBack: res.code === NOT_PUT_BACK_EXIT, unknown },
      });
    }
    try {
      const ns = (key: string): number | undefined => (seen.has(key) ? Number(BigInt(seen.get(key)!) / 1_000_000n) : undefined);
      const oldWorkers = (seen.get('old-workers') ?? '').split(/\s+/).filter(Boolean).map((p) => Number(BigInt(p)));
      const report = { reloadStartedAt: ns('reload-start'), reloadConfirmedAt: ns('reload-done'), oldWorkers };
      if (script === COMMIT_UPSTREAM && report.reloadConfirmedAt === undefined) throw new Error('no @reload-done line');
      return report;
    } catch (err) {
      // It exited 0, so it may well have reloaded: unknown, to be put back like a node never heard from.
      throw new SwitchyardError('switch-commit-failed', `state unknown: it exited 0 but its report cannot be read (${(err as Error).message}): ${res.stdout.trim().split('\n').slice(-3).join(' | ')}`, {
        details: { unknown: true },
        cause: err,
      });
    }
  }
}

interface Commit {
  node: FleetNode;
  /** First `lock <ms>` (its turn to take the node lock), or `try` then `arm` when every node's is free; then the barrier: `reload` or `disarm`. */
  go: PassThrough;
  locked: () => boolean;
  lockedOrDone: Promise<void>;
  armed: () => boolean;
  armedOrDone: Promise<void>;
  /** With a staged prepare: the node found its files as staging left them, or why not. */
  stageUnchanged: () => boolean;
  stageChanged: () => string | undefined;
  stageCheckedOrDone: Promise<void>;
  done: Promise<ReloadReport & { commitMs: number }>;
}

const noop = (): void => undefined;
function latch(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = noop;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve: () => resolve() };
}
/** Tells every commit to leave (none has armed: each changes nothing) and waits until they have. */
async function leave(commits: Commit[]): Promise<void> {
  for (const c of commits) if (!c.go.writableEnded) c.go.end('disarm\n');
  await Promise.allSettled(commits.map((c) => c.done));
}

/** Why a staged prepare cannot stand for this switch at all (another app, colours or node list), before any node is asked. */
function stagedMismatch(staged: StagedSwitch, nodes: readonly FleetNode[], app: FleetApp, to: Colour, from: Colour | undefined): string | undefined {
  if (staged.app !== app.name || staged.to !== to || (from !== undefined && staged.from !== from)) return `staged ${staged.app} ${staged.from}→${staged.to}, not ${app.name} ${from ?? 'any'}→${to}`;
  const names = (list: readonly FleetNode[]): string => list.map(lockOrder).sort().join(' ');
  return names(staged.nodes.map((n) => n.node)) === names(nodes) ? undefined : 'the node list changed since staging';
}

/** The order in which every switch takes node locks. */
const lockOrder = (node: FleetNode): string => `${node.address}:${node.port}`;
interface ReloadReport {
  reloadStartedAt: number | undefined;
  reloadConfirmedAt: number | undefined;
  oldWorkers: number[];
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

import { request } from 'node:http';
import type { FleetPort, StagedFiles, SwitchOutcome } from '../deploy/ports.js';
import type { Discovery, FleetNode } from '../discovery/fleet-node.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import type { FleetSwitch, StagedSwitch, SwitchResult } from '../fleet/fleet-switch.js';
import { truthProblems } from '../fleet/node-truth.js';
import type { Logger } from '../log/logger.js';
import { colourPort } from '../validate/patterns.js';

/** What switchTo hands the runner, and the runner hands back to waitDrained. */
interface FleetOutcome extends SwitchOutcome {
  result: SwitchResult;
  fleetNodes: FleetNode[];
}

/** What stage hands the runner, and the runner hands back to switchTo. */
interface FleetStaged extends StagedFiles {
  prepared: StagedSwitch;
}

/**
 * The deploy machine's fleet port over discovery and the SSH fleet switch.
 * The core decides when nodes may be brought together (an interrupted switch
 * put back, a reconcile), so a switch without `from` repairs a mixed fleet
 * and one with it refuses any node off `from`. The post-deploy command and
 * release clean-up run when the core asks (afterSwitch); their failures are
 * logged, not thrown: traffic has moved.
 *
 * @example
 * const fleet = sshFleetPort({ discovery, switcher, log });
 */
export function sshFleetPort(deps: { discovery: Discovery; switcher: FleetSwitch; log: Logger; smokeTimeoutMs?: number }): FleetPort {
  const { discovery, switcher, log } = deps;
  // Callers at the same moment (`status` of every app, the feed, a deploy)
  // share one discovery: the fleet is the same for each, and 50 apps would
  // otherwise be 50 EC2 calls at once. Nothing is kept once it settles.
  let discovering: Promise<FleetNode[]> | undefined;
  return {
    discover() {
      discovering ??= discovery.discover().finally(() => (discovering = undefined));
      return discovering.then((nodes) => [...nodes]);
    },

    async liveColour(nodes, app) {
      const live = await switcher.readLive(nodes, app);
      for (const n of live.nodes.filter((n) => n.settled)) {
        log.warn({ app: app.name, node: n.node }, 'settled a switch left between armed and confirmed: backup put back, nginx reloaded with it');
      }
      return { agreed: live.agreed, nodes: live.nodes.map((n) => ({ node: n.node, colour: n.colour ?? null, ...(n.error ? { error: n.error } : {}) })) };
    },

    async serving(nodes, app) {
      const truths = await switcher.truth(nodes, app);
      const list = truths.map((t) => {
        const problems = truthProblems(t);
        // A probe that reached no colour (none has pods) does not contradict the file; one answered by the other colour does.
        const told = t.file !== null && t.loads.ok && (!t.serves?.colour || t.serves.colour === t.file);
        return told ? { node: t.node, colour: t.file, ...(problems.length > 0 ? { error: problems.join('; ') } : {}) } : { node: t.node, colour: null, error: problems.join('; ') || 'unknown' };
      });
      const colours = new Set(list.map((n) => n.colour));
      const [only] = colours;
      return { agreed: colours.size === 1 && only ? only : null, nodes: list };
    },

    async stage(nodes, app, colour, options) {
      const staged: FleetStaged = { colour, prepared: await switcher.stage(nodes, app, colour, options) };
      return staged;
    },

    unstage: (nodes, app) => switcher.unstage(nodes, app),

    async switchTo(nodes, app, colour, options = {}) {
      const result = await switcher.switchTo(nodes, app, colour, {
        ...(options.from ? { from: options.from } : { repair: true }),
        ...(options.fence !== undefined ? { fence: options.fence } : {}),
        ...(options.staged ? { staged: (options.staged as FleetStaged).prepared } : {}),
        onEvent: (e) => {
          if (e.kind === 'switched') options.onProgress?.(e.done, e.total);
        },
      });
      const outcome: FleetOutcome = {
        mixedWindowMs: result.mixedWindowMs,
        nodes: result.nodes.map((n) => ({ node: n.node, ms: n.prepareMs + n.commitMs })),
        result,
        fleetNodes: nodes,
        ...(result.staging?.used === false ? { restaged: result.staging.why } : {}),
      };
      return outcome;
    },

    async afterSwitch(nodes, app) {
      for (const r of await switcher.afterSwitch(nodes, app)) {
        if (!r.ok) log.warn({ app: app.name, node: r.node, error: r.error }, 'post-deploy step failed on a node');
      }
    },

    async waitDrained(outcome, until, signal) {
      const { result, fleetNodes } = outcome as FleetOutcome;
      const drains = await switcher.waitDrained(fleetNodes, result, until, signal);
      // A cancelled wait is not a problem of the node's.
      const problems = signal?.aborted ? [] : drains.flatMap((d) => (d.error ? [`${d.node}: ${d.error}`] : []));
      for (const problem of problems) log.warn({ app: result.app, problem }, 'cannot tell whether a node drained; it counts as not drained');
      return { drained: drains.every((d) => d.drained), problems };
    },

    async smoke(nodes, app, colour, check, signal) {
      const port = colourPort(app.portBase, colour);
      const answers = await Promise.all(nodes.map((n) => probe(n.address, port, check.path, deps.smokeTimeoutMs ?? 5000, signal)));
      const bad = nodes.flatMap((n, i) => (answers[i] === check.status ? [] : [`${n.name} answered ${answers[i]}`]));
      if (bad.length > 0) {
        throw new SwitchyardError('deploy-failed', `smoke check of ${app.name} ${colour} (GET :${port}${check.path}, want ${check.status}) failed: ${bad.join('; ')}`, {
          hint: `look at the ${colour} pods' logs; the deploy is undone`,
        });
      }
    },
  };
}

/** GET through a node's NodePort: the HTTP status, or the connection error's code. */
function probe(host: string, port: number, path: string, timeoutMs: number, signal?: AbortSignal): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs, ...(signal ? { signal } : {}) }, (res) => {
      // Without an 'error' listener a body cut short ends neither in 'end' nor in req's 'error': the probe would never settle.
      res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

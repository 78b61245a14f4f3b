import { SwitchyardError } from '../errors/switchyard-error.js';
import type { AppState } from '../state/app-state.js';
import { COLOURS, otherColour, type Colour } from '../validate/patterns.js';
import { isReady, readyText } from './deploy-phases.js';
import type { FleetReport } from './fleet-report.js';
import type { ColoursView } from './ports.js';

/** What `switchyard reconcile` would change, shown before it asks. */
export interface ReconcilePlan {
  app: string;
  /** The colour every node and the record are brought to, and the version its pods run. */
  target: Colour;
  version: string;
  /** The nodes that change, and what each serves now. */
  nodes: { node: string; from: Colour }[];
  /** The recorded live colour now (null: none), and what it becomes. */
  record: { from: AppState['live']; to: { colour: Colour; version: string } };
  /** The nodes and the record already agree on the target. */
  nothingToDo: boolean;
}

/**
 * Decides how to bring an app's drifted nodes and record together, from a
 * fleet report and the colours in the cluster (pure). The target is `to`
 * when given, else the colour whose pods are all Ready that most nodes
 * serve (the recorded one on a tie). Refuses, naming what and where and the
 * next step, when a node's colour cannot be told or the target colour has
 * not all its pods Ready (traffic never goes to such a colour, invariant 1).
 *
 * @example
 * planReconcile(report, state.live, colours); // { target: 'blue', nodes: [{ node: 'node-3', from: 'green' }], ... }
 */
export function planReconcile(report: FleetReport, live: AppState['live'], colours: ColoursView, to?: Colour): ReconcilePlan {
  const { app } = report;
  if (report.nodes.length === 0) {
    throw new SwitchyardError('discovery-failed', `no nodes found to reconcile ${app} on; nothing was changed`, { hint: 'check discovery: switchyard nodes' });
  }
  const unread = report.nodes.filter((n) => n.colour === null);
  if (unread.length > 0) {
    const list = unread.map((n) => `${n.node} (${n.error ?? 'unknown'})`).join(', ');
    throw new SwitchyardError('switch-prepare-failed', `cannot reconcile ${app}: cannot tell what ${list} serve${unread.length === 1 ? 's' : ''}; nothing was changed`, {
      hint: 'see `switchyard nodes`, fix the node, then run reconcile again',
    });
  }
  const target = to ?? defaultTarget(report, live, colours);
  const rs = colours[target];
  if (!isReady(rs)) {
    const other = otherColour(target);
    throw new SwitchyardError('pods-not-ready', `cannot reconcile ${app} to ${target}: ${app}-${target} has ${readyText(rs)}, and traffic only goes to a colour whose pods are all Ready; nothing was changed`, {
      hint: isReady(colours[other]) ? `${app}-${other} is Ready: switchyard reconcile ${app} --to ${other}` : `deploy a version first: switchyard deploy ${app} <version>`,
    });
  }
  const nodes = report.nodes.flatMap((n) => (n.colour && n.colour !== target ? [{ node: n.node, from: n.colour }] : []));
  const after = { colour: target, version: rs.version };
  return {
    app,
    target,
    version: rs.version,
    nodes,
    record: { from: live, to: after },
    nothingToDo: nodes.length === 0 && live?.colour === after.colour && live.version === after.version,
  };
}

/** The Ready colour most nodes serve; the recorded one on a tie. Neither Ready: refused. */
function defaultTarget(report: FleetReport, live: AppState['live'], colours: ColoursView): Colour {
  const ready = COLOURS.filter((c) => isReady(colours[c]));
  if (ready.length === 0) {
    const both = COLOURS.map((c) => `${report.app}-${c} has ${readyText(colours[c])}`).join(', ');
    throw new SwitchyardError('pods-not-ready', `cannot reconcile ${report.app}: no colour has all its pods Ready (${both}); nothing was changed`, {
      hint: `deploy a version first: switchyard deploy ${report.app} <version>`,
    });
  }
  const served = (c: Colour) => report.nodes.filter((n) => n.colour === c).length;
  return [...ready].sort((a, b) => served(b) - served(a) || Number(b === live?.colour) - Number(a === live?.colour))[0]!;
}

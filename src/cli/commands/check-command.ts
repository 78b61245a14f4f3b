import type { FleetReading } from '../../deploy/read-fleet-report.js';
import { SwitchyardError } from '../../errors/switchyard-error.js';
import { examples, type CliCommand } from '../cli-command.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';

/** One app's check for people: the record, what each node serves, and the drift line (or that there is none). */
function formatFleetCheck(app: string, reading: FleetReading): string[] {
  const { state, report } = reading;
  const live = state.live ? `${state.live.colour} ${state.live.version}` : 'nothing';
  if (!report) {
    const r = state.inFlight!;
    return [`${app}  recorded live: ${live}`, `  ${r.kind} ${r.id} in flight (${r.phase}): not checked, a switch in progress is not drift`];
  }
  const nodes = report.nodes.map((n) => `  ${n.node}  ${n.colour ?? `? (${n.error ?? 'unknown'})`}`);
  return [`${app}  recorded live: ${live}`, ...nodes, report.drift ? `  drift: ${report.drift}` : `  no drift: every node serves ${report.nodes[0]?.colour}${state.live ? ', as recorded' : ''}`];
}

/** `switchyard check [app]`: reads every node and says, per app, whether nodes and record agree; exits non-zero on drift. */
export const checkCommand: CliCommand = (program, cli) => {
  program
    .command('check')
    .argument('[app]', 'one app (default: every app in the config)')
    .description('read every node: what each serves per app against the recorded live colour, and any drift with the command that fixes it')
    .addHelpText(
      'after',
      examples('switchyard check', 'switchyard check blog', 'switchyard check --json | jq ".apps[] | select(.report.drift) | .app"') +
        `\nExits ${EXIT.drift} when any app drifted; an app with a deploy in flight is not checked.\n`,
    )
    .action(
      cli.action(async (session, [app]) => {
        const { apps, agent } = await session.appsAgent(app);
        const nodes = await agent.service.discoverNodes(); // once for all apps
        const readings = await Promise.all(apps.map((a) => agent.service.checkFleet(a.name, nodes)));
        session.json({ apps: readings.map((r, i) => ({ app: apps[i]!.name, report: r.report, ...(r.state.inFlight ? { inFlight: { id: r.state.inFlight.id, phase: r.state.inFlight.phase } } : {}) })) });
        readings.forEach((r, i) => session.say((i > 0 ? '\n' : '') + formatFleetCheck(apps[i]!.name, r).join('\n')));
        const drifted = readings.flatMap((r) => (r.report?.drift ? [r.report.app] : []));
        if (drifted.length === 0) return EXIT.ok;
        const drift = new SwitchyardError('fleet-drift', `drift in ${drifted.join(', ')}`, { hint: 'each app\'s drift line above names the nodes and the command that fixes it' });
        session.warn(`error: ${drift.toLine()}`);
        return exitCodeFor(drift);
      }),
    );
};

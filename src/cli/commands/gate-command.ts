import { formatActor } from '../../deploy/wording.js';
import { SwitchyardError } from '../../errors/switchyard-error.js';
import type { GateEnd } from '../../gate/end-gate-window.js';
import { checkAppName } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { eventOutput } from '../event-output.js';
import { EXIT } from '../exit-codes.js';
import { followRun } from '../follow-run.js';

const ENDS: readonly GateEnd[] = ['accept', 'rollback'];

/**
 * `switchyard gate <app> accept|rollback`: ends the deploy's gate window
 * early, as the Slack buttons do. Recorded in the app's state for the agent
 * running the deploy; when none runs it, this command carries it on in the
 * foreground, as promote and abort do.
 */
export const gateCommand: CliCommand = (program, cli) => {
  program
    .command('gate')
    .argument('<app>', 'the app whose deploy is in its gate window')
    .argument('<end>', 'accept (go on to drain the old colour) or rollback (every node back to it at once)')
    .description("end a deploy's gate window early: accept, or roll back at once")
    .addHelpText('after', examples('switchyard gate blog accept', 'switchyard gate blog rollback --json'))
    .action(
      cli.action(async (session, [app, end]) => {
        checkAppName(app!);
        if (!ENDS.includes(end as GateEnd)) {
          throw new SwitchyardError('input-invalid', `unknown gate end "${end}"`, { hint: 'say accept or rollback' });
        }
        const how = end as GateEnd;
        const { agent } = await session.appAgent(app!, { onEvent: eventOutput(session) });
        const record = await agent.service.endGate(app!, session.actor, how);
        session.json({ type: 'intent-recorded', verb: `gate-${how}`, record });
        session.say(`${record.id}  gate ${how} recorded by ${formatActor(session.actor)}`);
        const [report] = await agent.service.resumeInFlight();
        if (!report?.done) {
          if (report?.how === 'held-elsewhere') session.say(`${record.id}  ${report.note ?? 'another agent runs it'}: it acts on it there`);
          if (report?.how === 'error') session.warn(`warning: the gate ${how} is recorded, but ${record.id} could not be taken over: ${report.note}`);
          return EXIT.ok;
        }
        session.say(`${record.id}  no agent was running it: carrying it on here (${report.how}); Ctrl-C detaches`);
        const ok = how === 'accept' ? (r: { phase: string }) => r.phase === 'done' : (r: { phase: string }) => r.phase === 'auto-rolled-back';
        return followRun(session, agent, { app: app!, deployId: record.id, phase: record.phase, done: report.done }, ok);
      }),
    );
};

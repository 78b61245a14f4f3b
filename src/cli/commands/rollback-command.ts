import { checkAppName } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { followRun, succeeded } from '../follow-run.js';
import { formatActor } from '../../deploy/wording.js';
import { eventOutput } from '../event-output.js';

/** `switchyard rollback <app>`: back to the previous colour, in the foreground, no verification pause. */
export const rollbackCommand: CliCommand = (program, cli) => {
  program
    .command('rollback')
    .argument('<app>', 'the app')
    .description('back to the previous colour: a switch if it still runs, else re-created from its recorded version; no verification pause')
    .addHelpText(
      'after',
      examples('switchyard rollback blog', 'switchyard rollback blog --json | tail -n 1') +
        '\nRuns in the foreground like deploy; Ctrl-C detaches and leaves it in flight for an agent to resume.\n',
    )
    .action(
      cli.action(async (session, [app]) => {
        checkAppName(app!);
        const { agent } = await session.appAgent(app!, { onEvent: eventOutput(session) });
        const { record, done } = await agent.service.rollback(app!, session.actor);
        session.json({ type: 'started', record });
        session.say(
          `${record.id}  rollback started by ${formatActor(session.actor)}: ${app} ${record.fromColour} ${record.fromVersion} → ` +
            `${record.toColour} ${record.version} (Ctrl-C detaches; the rollback stays in flight)`,
        );
        return followRun(session, agent, { app: app!, deployId: record.id, phase: record.phase, done }, succeeded);
      }),
    );
};

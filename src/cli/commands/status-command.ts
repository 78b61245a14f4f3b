import { examples, type CliCommand } from '../cli-command.js';
import { EXIT } from '../exit-codes.js';
import { formatStatus, statusView } from '../status-view.js';

/** `switchyard status [app]`: live colour and version, node agreement, ready counts, the in-flight deploy, problems. */
export const statusCommand: CliCommand = (program, cli) => {
  program
    .command('status')
    .argument('[app]', 'one app (default: every app in the config)')
    .description('live colour and version, whether all nodes agree, ready pods per colour, the deploy in flight and its phase')
    .addHelpText(
      'after',
      examples('switchyard status', 'switchyard status blog', 'switchyard status blog --json | jq ".apps[0].inFlight.phase"') +
        '\nWhat cannot be read (cluster, a node) is listed under problems; the command still exits 0.\n',
    )
    .action(
      cli.action(async (session, [app]) => {
        const { apps, agent } = await session.appsAgent(app);
        const views = (await Promise.all(apps.map((a) => agent.service.status(a.name)))).map(statusView);
        session.json({ apps: views });
        views.forEach((v, i) => session.say((i > 0 ? '\n' : '') + formatStatus(v).join('\n')));
        return EXIT.ok;
      }),
    );
};

import { stringify } from 'yaml';
import { AppStateStore } from '../../cluster/app-state-store.js';
import { connectKube, connectOptions } from '../../cluster/kube-clients.js';
import { saltPillar } from '../../salt/salt-pillar.js';
import { examples, type CliCommand } from '../cli-command.js';
import { EXIT } from '../exit-codes.js';

/**
 * `switchyard salt-pillar`: salt's pillar for switchyard's states, from the
 * config and each app's live colour as recorded in the cluster. Reads the
 * cluster only; no node, no lock.
 */
export const saltPillarCommand: CliCommand = (program, cli) => {
  program
    .command('salt-pillar')
    .description("print salt's switchyard pillar (YAML): the apps, ports, upstream names, nginx commands and deploy user from the config, and each app's live colour from the cluster as the colour a new node starts on")
    .addHelpText(
      'after',
      examples('switchyard salt-pillar', 'switchyard salt-pillar --config /etc/switchyard/switchyard.yaml > /srv/pillar/switchyard-generated.sls') +
        "\nOn the salt master, as an external pillar, so every highstate sees the current live colour:\n" +
        '  ext_pillar:\n    - cmd_yaml: switchyard salt-pillar --config /etc/switchyard/switchyard.yaml\n',
    )
    .action(
      cli.action(async (session) => {
        const config = await session.config();
        const states = new AppStateStore(connectKube(connectOptions(config.kubernetes)));
        const live = Object.fromEntries(await Promise.all(config.apps.map(async (a) => [a.name, (await states.readAppState(a.name, a.namespace)).live?.colour ?? null] as const)));
        const pillar = saltPillar(config, live);
        if (session.isJson) session.json(pillar);
        else session.io.stdout.write(stringify(pillar));
        return EXIT.ok;
      }),
    );
};

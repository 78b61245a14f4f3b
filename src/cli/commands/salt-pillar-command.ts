import { stringify } from 'yaml';
import { AppStateStore } from '../../cluster/app-state-store.js';
import { connectKube, connectOptions, type KubeClients } from '../../cluster/kube-clients.js';
import { readColours } from '../../cluster/read-colours.js';
import type { AppConfig } from '../../config/schema.js';
import { saltPillar } from '../../salt/salt-pillar.js';
import { COLOURS, type Colour } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { EXIT } from '../exit-codes.js';

/**
 * The colour that serves the app: as recorded by switchyard; for an app it
 * has not deployed yet, the one colour running (made by hand); null when
 * none or both run unrecorded.
 */
async function liveColour(kube: KubeClients, states: AppStateStore, app: AppConfig): Promise<Colour | null> {
  const recorded = (await states.readAppState(app.name, app.namespace)).live?.colour;
  if (recorded) return recorded;
  const colours = await readColours(kube, app.name, app.namespace, app.container);
  const running = COLOURS.filter((c) => colours[c] && !colours[c].deleting);
  return running.length === 1 ? running[0]! : null;
}

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
        const kube = connectKube(connectOptions(config.kubernetes));
        const states = new AppStateStore(kube);
        const live = Object.fromEntries(await Promise.all(config.apps.map(async (a) => [a.name, await liveColour(kube, states, a)] as const)));
        const pillar = saltPillar(config, live);
        if (session.isJson) session.json(pillar);
        else session.io.stdout.write(stringify(pillar));
        return EXIT.ok;
      }),
    );
};

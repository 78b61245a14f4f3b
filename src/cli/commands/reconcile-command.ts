import type { ReconcilePlan } from '../../deploy/plan-reconcile.js';
import { formatActor } from '../../deploy/wording.js';
import { SwitchyardError } from '../../errors/switchyard-error.js';
import { checkAppName, COLOURS, type Colour } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { confirm } from '../confirm.js';
import { EXIT } from '../exit-codes.js';

/** What a reconcile would change, for people: each node that moves, and the record. */
function formatReconcilePlan(plan: ReconcilePlan): string[] {
  const { app, target, version, record } = plan;
  const was = record.from ? `${record.from.colour} ${record.from.version}` : 'nothing';
  const recordLine = record.from?.colour === target && record.from.version === version ? `${was} (unchanged)` : `${was} → ${target} ${version}`;
  return [
    `reconcile ${app} to ${target} (${app}-${target} runs ${version}, every pod Ready):`,
    ...(plan.nodes.length > 0 ? plan.nodes.map((n) => `  ${n.node}  ${n.from} → ${target}`) : [`  every node already serves ${target}`]),
    `  record  ${recordLine}`,
  ];
}

/** `switchyard reconcile <app>`: shows what it would change, asks, then brings every node and the record to one colour. */
export const reconcileCommand: CliCommand = (program, cli) => {
  program
    .command('reconcile')
    .argument('<app>', 'the app')
    .option('--to <colour>', 'the colour to bring every node and the record to (default: the Ready colour most nodes serve)')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .description('bring drifted nodes and the record back to one colour with the two-phase switch, after showing what changes and asking')
    .addHelpText(
      'after',
      examples('switchyard check blog', 'switchyard reconcile blog', 'switchyard reconcile blog --to blue --yes') +
        '\nRefused while a deploy of the app is in flight, and for a colour whose pods are not all Ready.\n',
    )
    .action(
      cli.action(async (session, [app], options) => {
        checkAppName(app!);
        const to = options.to as string | undefined;
        if (to !== undefined && !(COLOURS as readonly string[]).includes(to)) {
          throw new SwitchyardError('input-invalid', `--to must be blue or green, not "${to}"`, { hint: `e.g. switchyard reconcile ${app} --to blue` });
        }
        const yes = options.yes === true;
        if (!yes && !(session.io.isTTY === true && session.io.stdin !== undefined)) {
          throw new SwitchyardError('input-invalid', `refusing to reconcile ${app} without confirmation: stdin is not a terminal`, {
            hint: 'pass --yes to reconcile from a script',
          });
        }
        const { agent } = await session.appAgent(app!);
        const plan = await agent.service.planReconcile(app!, to as Colour | undefined);
        session.json({ type: 'plan', plan });
        session.say(formatReconcilePlan(plan).join('\n'));
        if (plan.nothingToDo) {
          session.say(`nothing to reconcile: every node and the record agree on ${plan.target} ${plan.version}`);
          return EXIT.ok;
        }
        if (!yes && !(await confirm(`reconcile ${app} to ${plan.target}?`, session.io.stdin!, session.io.stdout, session.signal))) {
          session.warn(session.signal.aborted ? 'interrupted: nothing was changed' : 'not confirmed: nothing was changed');
          return session.signal.aborted ? EXIT.interrupted : EXIT.failed;
        }
        // A switch half done is worse than one finished: a Ctrl-C waits for it.
        const release = session.holdExit(`reconciling ${app}`);
        try {
          const record = await agent.service.reconcile(app!, plan, session.actor);
          session.json({ type: 'reconciled', record });
          session.say(`${record.id}  reconciled by ${formatActor(session.actor)}: every node and the record of ${app} on ${plan.target} ${plan.version}`);
          return EXIT.ok;
        } finally {
          release();
        }
      }),
    );
};

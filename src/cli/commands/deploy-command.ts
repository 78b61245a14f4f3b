import type { DeployEvent } from '../../deploy/deploy-event.js';
import { SwitchyardError } from '../../errors/switchyard-error.js';
import { checkOverrideReason } from '../../freeze/check-override-reason.js';
import { checkAppName, checkVersion, type Colour } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { confirm } from '../confirm.js';
import { EXIT } from '../exit-codes.js';
import { followRun, succeeded } from '../follow-run.js';
import { eventOutput } from '../event-output.js';
import { formatActor } from '../../deploy/wording.js';
import { verifyHints } from '../verify-hints.js';
import { formatPlan } from './plan-command.js';

const DEPLOY_HELP = `
A deploy runs in the foreground with live progress until it finishes. When it
waits in verification, promote or abort it from another shell or Slack.
Ctrl-C detaches: the deploy stays in flight, recorded in the cluster, and a
\`switchyard serve\` agent or a later \`switchyard promote|abort <app>\` resumes it.
Without a terminal on stdin (CI, scripts) --yes is required.
`;

/** `switchyard deploy <app> <version>`: plan, confirm, start, and follow to the end. */
export const deployCommand: CliCommand = (program, cli) => {
  program
    .command('deploy')
    .argument('<app>', 'the app, as named in the config')
    .argument('<version>', 'the version (image tag) to deploy, e.g. 20151025.143403')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--skip-verify', 'switch as soon as every new pod is Ready, without the verification pause')
    .option('--override-freeze <reason>', 'deploy during a freeze window, saying why (kept in history and shown in Slack)')
    .description('deploy a version to the idle colour, verify, switch every node, drain and retire the old colour')
    .addHelpText(
      'after',
      examples(
        'switchyard deploy blog 20151025.143403',
        'switchyard deploy blog 20151025.143403 --yes --skip-verify',
        'switchyard deploy blog 20151025.143403 --yes --json > deploy.jsonl',
        'switchyard deploy blog 20151025.143403 --override-freeze "hotfix for INC-2041"',
      ) + DEPLOY_HELP,
    )
    .action(
      cli.action(async (session, [app, version], options) => {
        // Every check that needs nothing but the words typed runs before anything is read or touched.
        checkAppName(app!);
        checkVersion(version!);
        const override = typeof options.overrideFreeze === 'string' ? options.overrideFreeze : undefined;
        if (override !== undefined) checkOverrideReason(override);
        const yes = options.yes === true;
        const canAsk = session.io.isTTY === true && session.io.stdin !== undefined;
        if (!yes && !canAsk) {
          throw new SwitchyardError('input-invalid', `refusing to deploy ${app} ${version} without confirmation: stdin is not a terminal`, {
            hint: 'pass --yes to deploy from a script or CI',
          });
        }
        const hints = { current: (_e: DeployEvent): string[] => [] };
        const { app: appConfig, agent } = await session.appAgent(app!, { onEvent: eventOutput(session, hints) });

        const plan = await agent.service.plan(app!, version!);
        session.json({ type: 'plan', plan });
        session.say(formatPlan(plan).join('\n'));
        // Refused either way: the service says so with its coded error, without asking first.
        const refused = plan.blockedBy !== undefined || (plan.frozen !== undefined && override === undefined);
        const failing = plan.steps.find((s) => s.phase === 'failed');
        if (failing && !refused) {
          throw new SwitchyardError('deploy-failed', `deploy of ${app} ${version} would fail now: ${failing.note ?? 'see the plan'}; nothing was started`, {
            hint: `fix that first: switchyard check ${app} names nodes that drifted and the command that brings them back; see also switchyard nodes, switchyard status ${app}`,
          });
        }
        if (!yes && !refused) {
          const go = await confirm(`deploy ${app} ${version}?`, session.io.stdin!, session.io.stdout, session.signal);
          if (!go) {
            session.warn(session.signal.aborted ? 'interrupted: nothing was deployed' : 'not confirmed: nothing was deployed');
            return session.signal.aborted ? EXIT.interrupted : EXIT.failed;
          }
        }
        const skipVerify = options.skipVerify === true;
        if (appConfig.verify.required && !skipVerify) {
          const planned = plan.steps.flatMap((s) => s.actions).find((a) => a.kind === 'create-colour');
          const colour: Colour = planned?.kind === 'create-colour' ? planned.colour : 'green';
          hints.current = verifyHints(appConfig, await agent.discovery.discover(), colour);
        }
        // Last chance before the deploy exists: a Ctrl-C until here (the plan, the question, discovery) starts nothing.
        if (session.signal.aborted) {
          session.warn('interrupted: nothing was deployed');
          return EXIT.interrupted;
        }

        const { record, done } = await agent.service.deploy(app!, version!, { by: session.actor, skipVerify, ...(override !== undefined ? { overrideFreeze: override } : {}) });
        session.json({ type: 'started', record });
        session.say(
          `${record.id}  started by ${formatActor(session.actor)}: ${app} ${record.fromVersion ?? '(nothing live)'} → ${version}` +
            ` (Ctrl-C detaches; the deploy stays in flight)`,
        );
        return followRun(session, agent, { app: app!, deployId: record.id, phase: record.phase, done }, succeeded);
      }),
    );
};

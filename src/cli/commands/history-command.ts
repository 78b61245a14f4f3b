import type { DeployRecord } from '../../state/app-state.js';
import { checkAppName } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { EXIT } from '../exit-codes.js';
import { describeFreezeOverride, describeOutcome, formatActor, formatDuration } from '../../deploy/wording.js';

/** One finished deploy: what, outcome, who did what, when. */
function formatHistoryEntry(r: DeployRecord): string[] {
  const who = [
    `requested by ${formatActor(r.requestedBy)} at ${r.requestedAt}`,
    ...(r.startedBy ? [`started by ${formatActor(r.startedBy)}`] : []),
    ...(r.promotedBy ? [`promoted by ${formatActor(r.promotedBy)}`] : []),
    ...(r.abortedBy ? [`aborted by ${formatActor(r.abortedBy)}`] : []),
  ];
  const ended = r.finishedAt
    ? `finished at ${r.finishedAt} after ${formatDuration(new Date(r.finishedAt).getTime() - new Date(r.requestedAt).getTime())}`
    : 'not finished';
  return [
    `${r.id}  ${r.kind} ${r.version}  ${r.fromColour ?? 'none'} → ${r.toColour}  ${r.phase}`,
    `  ${who.join('; ')}`,
    ...(r.freezeOverride ? [`  ${describeFreezeOverride(r.freezeOverride)}`] : []),
    `  ${ended}${r.switchedAt ? `; switched at ${r.switchedAt}` : ''}`,
    ...(r.phase === 'done' || r.phase === 'rolled-back' ? [] : [`  ${describeOutcome(r)}${r.error?.hint ? ` — ${r.error.hint}` : ''}`]),
  ];
}

/** `switchyard history <app>`: finished deploys and rollbacks, newest first. */
export const historyCommand: CliCommand = (program, cli) => {
  program
    .command('history')
    .argument('<app>', 'the app')
    .description('finished deploys and rollbacks of an app, newest first: who requested, approved, promoted or aborted, outcome, times')
    .addHelpText('after', examples('switchyard history blog', 'switchyard history blog --json | jq ".deploys[0].phase"'))
    .action(
      cli.action(async (session, [app]) => {
        checkAppName(app!);
        const { agent } = await session.appAgent(app!);
        const deploys = await agent.service.history(app!);
        session.json({ app, deploys });
        session.say(deploys.length === 0 ? `${app}: no finished deploys yet` : deploys.flatMap(formatHistoryEntry).join('\n'));
        return EXIT.ok;
      }),
    );
};

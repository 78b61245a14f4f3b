import type { ResumeReport } from '../../deploy/service-types.js';
import type { DeployRecord } from '../../state/app-state.js';
import { checkAppName } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { EXIT } from '../exit-codes.js';
import { followRun, succeeded } from '../follow-run.js';
import { formatActor } from '../../deploy/wording.js';
import { eventOutput } from '../event-output.js';

type Verb = 'promote' | 'abort';

const ABOUT: Record<Verb, { description: string; ok: (r: DeployRecord) => boolean }> = {
  promote: { description: 'let a deploy waiting in verification switch traffic', ok: succeeded },
  abort: { description: 'stop a deploy before its switch: the new colour is removed, traffic never moves', ok: (r) => r.phase === 'aborted' },
};

/**
 * `switchyard promote|abort <app>`: records the intent in the app's state,
 * where the agent running the deploy picks it up. When no agent runs it (its
 * `deploy` was detached or died), this command takes it over and follows it
 * to the end in the foreground.
 */
const intentCommand =
  (verb: Verb): CliCommand =>
  (program, cli) => {
    program
      .command(verb)
      .argument('<app>', 'the app whose deploy is in flight')
      .description(ABOUT[verb].description)
      .addHelpText(
        'after',
        examples(`switchyard ${verb} blog`, `switchyard ${verb} blog --json`) +
          '\nThe agent running the deploy acts on it within a few seconds; if none runs it, this command\n' +
          'carries the deploy on in the foreground until it ends (Ctrl-C detaches).\n',
      )
      .action(
        cli.action(async (session, [app]) => {
          checkAppName(app!);
          const { agent } = await session.appAgent(app!, { onEvent: eventOutput(session) });
          const record = await (verb === 'promote' ? agent.service.promote(app!, session.actor) : agent.service.abort(app!, session.actor));
          session.json({ type: 'intent-recorded', verb, record });
          session.say(`${record.id}  ${verb} recorded by ${formatActor(session.actor)} (it is ${record.phase})`);
          const [report] = await agent.service.resumeInFlight();
          if (!report?.done) {
            session.json({ type: 'resume-report', app, how: report?.how, note: report?.note });
            if (report?.how === 'held-elsewhere') session.say(`${record.id}  ${heldElsewhere(verb, report)}`);
            if (report?.how === 'error') session.warn(`warning: the ${verb} is recorded, but ${record.id} could not be taken over: ${report.note}`);
            return EXIT.ok;
          }
          session.say(`${record.id}  no agent was running it: carrying it on here (${report.how}); Ctrl-C detaches`);
          return followRun(session, agent, { app: app!, deployId: record.id, phase: record.phase, done: report.done }, ABOUT[verb].ok);
        }),
      );
  };

/**
 * Where the intent goes when another process holds the deploy. A holder
 * killed outright (SIGKILL, a lost machine) holds it until its lease
 * expires: people are told so, until when, and what carries it on then.
 * Not this command run again: a process that has just started waits a whole
 * lease before it takes one over (it never trusts another machine's clock).
 */
function heldElsewhere(verb: Verb, report: ResumeReport): string {
  const note = report.note ?? 'another agent runs it';
  if (report.seen?.looksDead) return `${note}: the ${verb} is recorded, and ${TAKEN_OVER}`;
  const gone = report.seen ? ` (if that agent is gone, its lease expires at ${report.seen.expiresAt}, and ${TAKEN_OVER})` : '';
  return `${note}: it acts on the ${verb} there${gone}`;
}

const TAKEN_OVER =
  'a running `switchyard serve` takes the deploy over by then and acts on it (start one if none runs: it takes over a lease it has itself seen go unrenewed for a whole lease)';

export const promoteCommand = intentCommand('promote');
export const abortCommand = intentCommand('abort');

import type { DeployEvent, DeployEventListener } from '../deploy/deploy-event.js';
import type { CliSession } from './cli-session.js';
import { ProgressPrinter } from './progress-printer.js';

/**
 * Where a command's deploy events go: JSON lines with --json, else progress
 * lines. `hints.current` may be swapped once the command knows more (the
 * deploy command's verification hints need the nodes).
 *
 * @example
 * const agent = await session.agent(config, { onEvent: eventOutput(session) });
 */
export function eventOutput(session: CliSession, hints: { current: (e: DeployEvent) => string[] } = { current: () => [] }): DeployEventListener {
  const printer = new ProgressPrinter((line) => session.say(line), (e) => hints.current(e));
  return (e) => {
    if (e.type === 'phase') session.phases.set(e.deployId, e.to);
    if (e.type === 'finished' || e.type === 'stopped') session.phases.delete(e.deployId);
    session.json(e);
    printer.print(e);
  };
}

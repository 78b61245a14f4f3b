import { SwitchyardError } from '../errors/switchyard-error.js';
import { checkAppName, checkVersion } from '../validate/patterns.js';

/** What a slash command asks for, checked (app names and versions match their patterns). */
export type SlashRequest =
  | { verb: 'deploy'; app: string; version: string }
  | { verb: 'status'; app?: string }
  | { verb: 'promote' | 'abort' | 'rollback' | 'history'; app: string }
  | { verb: 'help' };

/** Each form, for help and for the reply to bad input. */
export const USAGE: readonly { form: string; what: string }[] = [
  { form: '<app> <version>', what: 'deploy a version as the idle colour; it waits for Promote before taking traffic' },
  { form: 'status [app]', what: 'what is live, what is in flight, and whether every node agrees' },
  { form: 'promote <app>', what: 'switch traffic to the deploy waiting in verification' },
  { form: 'abort <app>', what: 'remove the new colour before the switch; traffic never moves' },
  { form: 'rollback <app>', what: 'back to the previous colour, without a pause' },
  { form: 'history <app>', what: 'the last deploys, who did what' },
  { form: 'help', what: 'this list' },
];

export const usageText = (command: string): string => USAGE.map((u) => `\`${command} ${u.form}\`  ${u.what}`).join('\n');

const ONE_APP = ['promote', 'abort', 'rollback', 'history'] as const;

function bad(message: string, form: string, command: string): SwitchyardError {
  return new SwitchyardError('input-invalid', message, { hint: `use \`${command} ${form}\` (\`${command} help\` lists every form)` });
}

/**
 * Reads the text after the slash command. Throws 'input-invalid' naming what
 * was wrong and the right form; nothing is done for bad input.
 *
 * @example
 * parseCommand('blog 20151025.143403', '/deploy'); // { verb: 'deploy', app: 'blog', version: '20151025.143403' }
 * parseCommand('promote blog', '/deploy');         // { verb: 'promote', app: 'blog' }
 */
export function parseCommand(text: string, command: string): SlashRequest {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  if (first === undefined || first === 'help') {
    if (rest.length > 0) throw bad(`\`help\` takes nothing after it`, 'help', command);
    return { verb: 'help' };
  }
  if (first === 'status') {
    if (rest.length > 1) throw bad(`\`status\` takes at most one app, got ${rest.length}`, 'status [app]', command);
    if (rest[0] !== undefined) checkAppName(rest[0]);
    return rest[0] === undefined ? { verb: 'status' } : { verb: 'status', app: rest[0] };
  }
  const verb = ONE_APP.find((v) => v === first);
  if (verb) {
    if (rest.length !== 1) throw bad(`\`${verb}\` takes exactly one app`, `${verb} <app>`, command);
    checkAppName(rest[0]!);
    return { verb, app: rest[0]! };
  }
  // `/deploy deploy blog 2.0` reads as people mean it.
  const [app, version, ...extra] = first === 'deploy' ? rest : words;
  if (app === undefined || version === undefined || extra.length > 0) throw bad(`\`${text.trim()}\` is not a command I know`, '<app> <version>', command);
  checkAppName(app);
  checkVersion(version);
  return { verb: 'deploy', app, version };
}

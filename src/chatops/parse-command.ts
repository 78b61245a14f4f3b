import { SwitchyardError } from '../errors/switchyard-error.js';
import { checkOverrideReason } from '../freeze/check-override-reason.js';
import { checkAppName, checkVersion } from '../validate/patterns.js';

/** What a slash command asks for, checked (app names and versions match their patterns). */
export type SlashRequest =
  | { verb: 'deploy'; app: string; version: string; overrideFreeze?: string }
  | { verb: 'status'; app?: string }
  | { verb: 'promote' | 'abort' | 'rollback' | 'history'; app: string }
  | { verb: 'help' };

/** Each form, for help and for the reply to bad input. */
const USAGE: readonly { form: string; what: string }[] = [
  { form: '<app> <version>', what: 'deploy a version as the idle colour; it waits for Promote before taking traffic' },
  { form: '<app> <version> --override-freeze "<why>"', what: 'deploy during a freeze window (overrideFreeze role); the reason is kept in history' },
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
 * parseCommand('blog 2.0.1 --override-freeze "hotfix for INC-2041"', '/deploy');
 * // { verb: 'deploy', app: 'blog', version: '2.0.1', overrideFreeze: 'hotfix for INC-2041' }
 */
export function parseCommand(text: string, command: string): SlashRequest {
  const override = OVERRIDE.exec(text);
  if (!override) return parseWords(text, command);
  const form = '<app> <version> --override-freeze "<why>"';
  const request = parseWords(text.slice(0, override.index), command);
  if (request.verb !== 'deploy') throw bad('`--override-freeze` goes only with a deploy', form, command);
  const reason = unquote(override[1] ?? '');
  if (reason === '') throw bad('`--override-freeze` needs a reason after it', form, command);
  checkOverrideReason(reason);
  return { ...request, overrideFreeze: reason };
}

/** The option and the rest of the line, its reason: quotes are optional, since Slack users type words freely. */
const OVERRIDE = /(?:^|\s)--override-freeze(?:\s+([\s\S]*))?$/;

/** Drops one pair of quotes around the reason: straight, or the curly ones Slack's editor turns them into. */
function unquote(text: string): string {
  const t = text.trim();
  const m = /^(["'“‘])([\s\S]*)(["'”’])$/.exec(t);
  return m ? m[2]!.trim() : t;
}

function parseWords(text: string, command: string): SlashRequest {
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

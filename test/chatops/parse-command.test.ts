import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/chatops/parse-command.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';

describe('parseCommand', () => {
  it.each([
    ['blog 20151025.143403', { verb: 'deploy', app: 'blog', version: '20151025.143403' }],
    ['  blog   2.0.0 ', { verb: 'deploy', app: 'blog', version: '2.0.0' }],
    ['deploy blog 2.0.0', { verb: 'deploy', app: 'blog', version: '2.0.0' }],
    ['status', { verb: 'status' }],
    ['status blog', { verb: 'status', app: 'blog' }],
    ['promote blog', { verb: 'promote', app: 'blog' }],
    ['abort blog', { verb: 'abort', app: 'blog' }],
    ['rollback blog', { verb: 'rollback', app: 'blog' }],
    ['history blog', { verb: 'history', app: 'blog' }],
    ['help', { verb: 'help' }],
    ['', { verb: 'help' }],
    ['blog 2.0.1 --override-freeze "hotfix for INC-2041"', { verb: 'deploy', app: 'blog', version: '2.0.1', overrideFreeze: 'hotfix for INC-2041' }],
    ['deploy blog 2.0.1 --override-freeze “curly quotes from Slack’s editor”', { verb: 'deploy', app: 'blog', version: '2.0.1', overrideFreeze: 'curly quotes from Slack’s editor' }],
    ['blog 2.0.1 --override-freeze no quotes at all', { verb: 'deploy', app: 'blog', version: '2.0.1', overrideFreeze: 'no quotes at all' }],
  ])('reads "%s"', (text, want) => {
    expect(parseCommand(text, '/deploy')).toEqual(want);
  });

  it.each([
    ['blog', '`blog` is not a command I know', '`/deploy <app> <version>`'],
    ['blog 2.0 now', '`blog 2.0 now` is not a command I know', '`/deploy <app> <version>`'],
    ['promote', '`promote` takes exactly one app', '`/deploy promote <app>`'],
    ['rollback blog www', '`rollback` takes exactly one app', '`/deploy rollback <app>`'],
    ['status blog www', '`status` takes at most one app, got 2', '`/deploy status [app]`'],
    ['help me', '`help` takes nothing after it', '`/deploy help`'],
    ['Blog 2.0', 'invalid app name "Blog"', 'lower-case'],
    ['blog 2.0;reboot', 'invalid version "2.0;reboot"', ''],
    ['blog $(reboot)', 'invalid version "$(reboot)"', ''],
    ['promote blog;rm', 'invalid app name "blog;rm"', ''],
    ['blog 2.0.1 --override-freeze', '`--override-freeze` needs a reason after it', '`/deploy <app> <version> --override-freeze "<why>"`'],
    ['blog 2.0.1 --override-freeze ""', '`--override-freeze` needs a reason after it', '`/deploy <app> <version> --override-freeze "<why>"`'],
    ['rollback blog --override-freeze "why"', '`--override-freeze` goes only with a deploy', '`/deploy <app> <version> --override-freeze "<why>"`'],
    ['blog 2.0.1 --override-freeze "ok"', 'a freeze override needs a reason of 3 to 200 printable characters on one line', '--override-freeze "hotfix'],
    ['blog --override-freeze "why not"', '`blog` is not a command I know', '`/deploy <app> <version>`'],
  ])('refuses "%s", naming what was wrong and the right form', (text, message, hint) => {
    let err: unknown;
    try {
      parseCommand(text, '/deploy');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('input-invalid');
    expect((err as SwitchyardError).message).toBe(message);
    expect((err as SwitchyardError).hint).toContain(hint);
  });
});

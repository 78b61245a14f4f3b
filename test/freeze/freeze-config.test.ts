import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';

const base = `
discovery:
  static: [ { name: node-a, address: 10.0.1.11 } ]
ssh: { user: deploy, privateKeyPath: keys/id, knownHostsPath: keys/known_hosts }
`;

const withFreeze = (freeze: string, appFreeze = '') => `${base}${freeze}
apps:
  - name: blog
    namespace: blog
    portBase: 30000
${appFreeze}`;

function problems(text: string): string {
  try {
    parseConfig(text, 'sy.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(SwitchyardError);
    return (err as SwitchyardError).message;
  }
  throw new Error('expected the config to be refused');
}

describe('config: freeze windows', () => {
  it('reads global and per-app windows, unquoted times too, with UTC as the default zone', () => {
    const c = parseConfig(
      withFreeze(
        `freeze:
  windows:
    - { name: weekend, from: Fri 15:00, to: Mon 09:00, timeZone: Europe/Berlin }
    - { name: year-end, from: 2026-12-23 18:00, to: 2027-01-04 }
    - { name: nightly, from: 22:00, to: 06:00 }`,
        `    freeze:
      timeZone: America/New_York
      windows: [ { name: launch, from: "2026-03-02", to: "2026-03-03" } ]`,
      ),
      'sy.yaml',
    );
    expect(c.freeze.timeZone).toBe('UTC');
    expect(c.freeze.windows.map((w) => [w.name, w.from, w.to, w.timeZone])).toEqual([
      ['weekend', 'Fri 15:00', 'Mon 09:00', 'Europe/Berlin'],
      ['year-end', '2026-12-23 18:00', '2027-01-04', undefined],
      ['nightly', '22:00', '06:00', undefined],
    ]);
    expect(c.apps[0]!.freeze).toEqual({ timeZone: 'America/New_York', windows: [{ name: 'launch', from: '2026-03-02', to: '2026-03-03' }] });
    expect(parseConfig(withFreeze(''), 'sy.yaml').freeze).toEqual({ timeZone: 'UTC', windows: [] });
  });

  it('refuses every bad window at load, each naming its key', () => {
    const message = problems(
      withFreeze(
        `freeze:
  timeZone: Europe/Berlln
  windows:
    - { name: weekend, from: Fri 15:00, to: Mon 9:00 }
    - { name: mixed, from: Fri 15:00, to: 2026-12-24 }
    - { name: backwards, from: 2026-12-24, to: 2026-12-23 }
    - { name: empty, from: Fri 15:00, to: fri 15:00 }
    - { name: weekend, from: Funday 15:00, to: 2026-02-30 }
    - { name: zone, from: 22:00, to: 06:00, timeZone: CEST }`,
        `    freeze: { windows: [ { name: launch, from: 2026-03-02 } ] }`,
      ),
    );
    for (const expected of [
      'freeze.timeZone: an IANA time zone such as "Europe/Berlin" or "UTC"',
      'freeze.windows[0].to: "Mon 9:00" is not a time: use "Fri 15:00" (weekly), "22:00" (daily) or "2026-12-23 18:00" / "2026-12-23" (once)',
      'freeze.windows[1].to: "2026-12-24" is once but "from" is weekly: write both ends the same way',
      'freeze.windows[2].to: "2026-12-23" is not after "from" ("2026-12-24")',
      'freeze.windows[3].to: the same time as "from": a window that ends where it starts is either empty or always on',
      'freeze.windows[4].from: "Funday 15:00" is not a time',
      'freeze.windows[4].to: "2026-02-30" is not a time',
      'freeze.windows[4].name: duplicate window "weekend"',
      'freeze.windows[5].timeZone: an IANA time zone',
      'apps[0].freeze.windows[0].to',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('takes Slack ids and ci:<token name> in the overrideFreeze role, nothing else', () => {
    const roles = (list: string) => `${base}roles: { overrideFreeze: [${list}] }\napps: [ { name: blog, namespace: blog, portBase: 30000 } ]\n`;
    expect(parseConfig(roles('S04ONCALL, U01ALICE, "ci:release-bot"'), 'sy.yaml').roles.overrideFreeze).toEqual(['S04ONCALL', 'U01ALICE', 'ci:release-bot']);
    expect(problems(roles('"ci:Release Bot"'))).toContain('roles.overrideFreeze[0]: a Slack user or user-group id such as U01ABC, or ci:<token name>');
  });
});

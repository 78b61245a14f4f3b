import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import type { Actor } from '../../src/state/app-state.js';
import { alice, bob } from './fixtures.js';
import { world } from './fake-ports.js';

/**
 * The deploy service's freeze check, on a fixed clock (T0 is Thursday
 * 2026-01-01 10:00 UTC, 11:00 in Berlin): a year-end window is on.
 */

const carol: Actor = { via: 'slack', id: 'U03CAROL', name: 'carol' };
const releaseBot: Actor = { via: 'ci', id: 'release-bot' };
const roles = { deploy: ['U01ALICE', 'U03CAROL'], approve: [], rollback: ['U03CAROL'], overrideFreeze: ['S04ONCALL', 'ci:release-bot'], selfApprove: true };
const freezeConfig = (windows: Record<string, unknown>[], timeZone = 'Europe/Berlin') =>
  Config.shape.freeze.parse({ timeZone, windows });
const yearEnd = freezeConfig([{ name: 'year-end', from: '2025-12-23 18:00', to: '2026-01-04 09:00' }]);

async function refusal(p: Promise<unknown>): Promise<SwitchyardError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SwitchyardError);
  return err as SwitchyardError;
}

describe('DeployService: freeze windows', () => {
  it('refuses a deploy in a window, naming it and when it ends on the app\'s clock and UTC, before anything is touched', async () => {
    const w = world({ service: { roles, freeze: yearEnd } });
    const err = await refusal(w.service.deploy('blog', 'v2', { by: alice }));
    expect(err.code).toBe('deploy-frozen');
    expect(err.message).toBe('deploys of blog are frozen by "year-end" (2025-12-23 18:00 to 2026-01-04 09:00 Europe/Berlin) until Sun 2026-01-04 09:00 Europe/Berlin (08:00 UTC)');
    expect(err.hint).toContain('rollbacks still run');
    expect(err.details).toEqual({ until: '2026-01-04T08:00:00.000Z', windows: ['year-end'] });
    // Not even the lock was asked for.
    expect(w.journal).toEqual([]);
    expect((await w.state.read('blog')).inFlight).toBeNull();
  });

  it('says in the plan and to the API (service.freeze) that a deploy would be refused', async () => {
    const w = world({ service: { roles, freeze: yearEnd } });
    expect(w.service.freeze('blog')).toEqual({
      windows: ['year-end'],
      until: '2026-01-04T08:00:00.000Z',
      message: 'deploys of blog are frozen by "year-end" (2025-12-23 18:00 to 2026-01-04 09:00 Europe/Berlin) until Sun 2026-01-04 09:00 Europe/Berlin (08:00 UTC)',
    });
    expect((await w.service.plan('blog', 'v2')).frozen?.until).toBe('2026-01-04T08:00:00.000Z');
    const open = world({ service: { roles, freeze: freezeConfig([{ name: 'weekend', from: 'Fri 15:00', to: 'Mon 09:00' }]) } });
    expect(open.service.freeze('blog')).toBeNull();
    expect((await open.service.plan('blog', 'v2')).frozen).toBeUndefined();
  });

  it('shows the end in the app\'s own time zone when it has one, and counts the app\'s own windows', async () => {
    const w = world({
      app: { freeze: { timeZone: 'America/New_York', windows: [{ name: 'launch', from: 'Thu 00:00', to: 'Fri 00:00' }] } },
      service: { roles, freeze: freezeConfig([]) },
    });
    expect((await refusal(w.service.deploy('blog', 'v2', { by: alice }))).message).toBe(
      'deploys of blog are frozen by "launch" (Thu 00:00 to Fri 00:00 America/New_York) until Fri 2026-01-02 00:00 America/New_York (05:00 UTC)',
    );
  });

  it('always lets a rollback through', async () => {
    // The window opens at 11:10 Berlin, ten minutes after T0: the deploy before it runs, the rollback after it.
    const w = world({ app: { verify: { required: false }, retainMinutes: 30 }, service: { roles, freeze: freezeConfig([{ name: 'incident', from: '2026-01-01 11:10', to: '2026-01-01 18:00' }]) } });
    await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    await w.clock.sleep(15 * 60_000);
    expect((await refusal(w.service.deploy('blog', 'v3', { by: alice }))).code).toBe('deploy-frozen');
    const { done } = await w.service.rollback('blog', carol);
    expect((await done).record).toMatchObject({ kind: 'rollback', phase: 'rolled-back', version: 'v1' });
    expect((await w.state.read('blog')).live).toEqual({ colour: 'blue', version: 'v1' });
  });

  it('lets someone with the overrideFreeze role through with a reason, kept in the record and its history', async () => {
    const w = world({ app: { verify: { required: false } }, service: { roles, freeze: yearEnd } });
    const { record, done } = await w.service.deploy('blog', 'v2', { by: carol, groups: ['S04ONCALL'], overrideFreeze: '  hotfix for INC-2041 ' });
    const override = { windows: ['year-end'], until: '2026-01-04T08:00:00.000Z', reason: 'hotfix for INC-2041', by: carol };
    expect(record.freezeOverride).toEqual(override);
    expect(record.transitions.map((t) => t.note)).toEqual(['deploy v2 requested', 'freeze overridden ("year-end"): hotfix for INC-2041']);
    expect((await done).record?.phase).toBe('done');
    const [last] = await w.service.history('blog');
    expect(last).toMatchObject({ phase: 'done', freezeOverride: override });
  });

  it('lets a CI token named in the role through, and refuses any other', async () => {
    const w = world({ service: { roles, freeze: yearEnd } });
    const other = await refusal(w.service.deploy('blog', 'v2', { by: { via: 'ci', id: 'ci' }, overrideFreeze: 'release train' }));
    expect(other).toMatchObject({ code: 'not-authorised', message: 'ci (ci) may not override a freeze of blog: the token is not in the overrideFreeze role' });
    const { record } = await w.service.deploy('blog', 'v2', { by: releaseBot, overrideFreeze: 'release train' });
    expect(record.freezeOverride?.by).toEqual(releaseBot);
    await w.service.abort('blog', bob);
  });

  it('refuses an override from someone without the role, and one without a real reason, touching nothing', async () => {
    const w = world({ service: { roles, freeze: yearEnd } });
    const noRole = await refusal(w.service.deploy('blog', 'v2', { by: alice, groups: ['S03WEBTEAM'], overrideFreeze: 'I really want to' }));
    expect(noRole).toMatchObject({ code: 'not-authorised', message: 'alice (slack) may not override a freeze of blog: it needs the overrideFreeze role' });
    const noReason = await refusal(w.service.deploy('blog', 'v2', { by: carol, groups: ['S04ONCALL'], overrideFreeze: ' ' }));
    expect(noReason.code).toBe('input-invalid');
    expect(w.journal).toEqual([]);
  });

  it('records no override when nothing is frozen', async () => {
    const w = world({ service: { roles, freeze: freezeConfig([]) } });
    const { record } = await w.service.deploy('blog', 'v2', { by: alice, overrideFreeze: 'just in case' });
    expect(record.freezeOverride).toBeUndefined();
    await w.service.abort('blog', bob);
  });

  it('accepts deploys again once the window has ended', async () => {
    const w = world({ service: { roles, freeze: freezeConfig([{ name: 'standup', from: '10:30', to: '11:30' }]) } });
    expect((await refusal(w.service.deploy('blog', 'v2', { by: alice }))).details.until).toBe('2026-01-01T10:30:00.000Z');
    await w.clock.sleep(30 * 60_000);
    const { done } = await w.service.deploy('blog', 'v2', { by: alice });
    await w.service.abort('blog', bob);
    expect((await done).record?.phase).toBe('aborted');
  });

  it('does not start a held deploy once a freeze has begun, unless it was asked for with an override', async () => {
    const w = world({ service: { roles, freeze: freezeConfig([{ name: 'incident', from: '2026-01-01 11:10', to: '2026-01-01 18:00' }]) } });
    const { done } = await w.service.deploy('blog', 'v2', { by: releaseBot, hold: true });
    await w.clock.sleep(15 * 60_000);
    const err = await refusal(w.service.startHeld('blog', alice));
    expect(err).toMatchObject({ code: 'deploy-frozen', hint: expect.stringContaining('this held deploy was asked for without an override') });
    expect((await w.state.read('blog')).inFlight).toMatchObject({ phase: 'pending' });
    await w.service.abort('blog', alice);
    await done;
    const overridden = await w.service.deploy('blog', 'v2', { by: releaseBot, hold: true, overrideFreeze: 'release train' });
    expect((await w.service.startHeld('blog', alice)).startedBy).toEqual(alice);
    await w.service.abort('blog', alice);
    await overridden.done;
  });
});

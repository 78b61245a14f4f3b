import { describe, expect, it } from 'vitest';
import { authorize, type Verb } from '../../src/deploy/authorize.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import type { Actor } from '../../src/state/app-state.js';

const roles = { deploy: ['U01DEV', 'S01DEVS'], approve: ['S02LEADS'], rollback: ['U03ONCALL'], overrideFreeze: ['S04ONCALL', 'ci:release-bot'], selfApprove: true };
const slack = (id: string): Actor => ({ via: 'slack', id, name: id.toLowerCase() });

function outcome(actor: Actor, verb: Verb, context: Parameters<typeof authorize>[4] = {}, r = roles): string {
  try {
    authorize(r, actor, verb, 'blog', context);
    return 'allowed';
  } catch (err) {
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('not-authorised');
    expect((err as SwitchyardError).hint).toBeTruthy();
    return (err as SwitchyardError).message;
  }
}

describe('authorize', () => {
  it.each([
    ['a user listed by id deploys', slack('U01DEV'), 'deploy', {}, 'allowed'],
    ['a member of a listed group deploys', slack('U09NEW'), 'deploy', { groups: ['S01DEVS'] }, 'allowed'],
    ['a stranger may not deploy, and is told the role', slack('U09NEW'), 'deploy', {}, 'u09new (slack) may not deploy blog: it needs the deploy role'],
    ['a deployer may not promote', slack('U01DEV'), 'promote', {}, 'u01dev (slack) may not promote blog: it needs the approve role'],
    ['an approver (by group) promotes', slack('U05LEAD'), 'promote', { groups: ['S02LEADS'] }, 'allowed'],
    ['a deployer starts a held deploy (it is asking for it)', slack('U01DEV'), 'start', {}, 'allowed'],
    ['an approver who may not deploy may not start one', slack('U05LEAD'), 'start', { groups: ['S02LEADS'] }, 'u05lead (slack) may not start blog: it needs the deploy role'],
    ['a deployer may abort', slack('U01DEV'), 'abort', {}, 'allowed'],
    ['an approver may abort', slack('U05LEAD'), 'abort', { groups: ['S02LEADS'] }, 'allowed'],
    ['a stranger may not abort', slack('U09NEW'), 'abort', {}, 'u09new (slack) may not abort blog: it needs the deploy or approve role'],
    ['on-call rolls back', slack('U03ONCALL'), 'rollback', {}, 'allowed'],
    ['a deployer may not roll back', slack('U01DEV'), 'rollback', {}, 'u01dev (slack) may not rollback blog: it needs the rollback role'],
    ['a CI token deploys', { via: 'ci', id: 'ci' } as Actor, 'deploy', {}, 'allowed'],
    ['a CI token may not promote', { via: 'ci', id: 'ci' } as Actor, 'promote', {}, 'ci (ci) may not promote blog: CI tokens may only start deploys'],
    ['the CLI is trusted (it holds the cluster credentials)', { via: 'cli', id: 'alice' } as Actor, 'rollback', {}, 'allowed'],
    ['on-call (by group) overrides a freeze', slack('U03ONCALL'), 'override-freeze', { groups: ['S04ONCALL'] }, 'allowed'],
    ['a deployer may not override a freeze', slack('U01DEV'), 'override-freeze', { groups: ['S01DEVS'] }, 'u01dev (slack) may not override a freeze of blog: it needs the overrideFreeze role'],
    ['a CI token named in the role overrides a freeze', { via: 'ci', id: 'release-bot' } as Actor, 'override-freeze', {}, 'allowed'],
    ['another CI token may not', { via: 'ci', id: 'ci' } as Actor, 'override-freeze', {}, 'ci (ci) may not override a freeze of blog: the token is not in the overrideFreeze role'],
  ] as const)('%s', (_, actor, verb, context, want) => {
    expect(outcome(actor, verb, context)).toBe(want);
  });

  it('lets the requester approve their own deploy unless selfApprove is false', () => {
    const lead = slack('U05LEAD');
    const context = { groups: ['S02LEADS'], requestedBy: lead };
    expect(outcome(lead, 'promote', context)).toBe('allowed');
    const strict = { ...roles, selfApprove: false };
    expect(outcome(lead, 'promote', context, strict)).toBe('u05lead (slack) may not promote blog: nobody approves their own deploy here');
    expect(outcome(lead, 'abort', context, strict)).toBe('allowed');
    expect(outcome(slack('U06OTHER'), 'promote', { groups: ['S02LEADS'], requestedBy: lead }, strict)).toBe('allowed');
  });

  it('allows nobody from Slack when no roles are configured', () => {
    const none = { deploy: [], approve: [], rollback: [], overrideFreeze: [], selfApprove: true };
    for (const verb of ['deploy', 'start', 'promote', 'abort', 'rollback', 'override-freeze'] as const) expect(outcome(slack('U01DEV'), verb, {}, none)).not.toBe('allowed');
  });
});

import type { Config } from '../config/schema.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import type { Actor } from '../state/app-state.js';
import { formatActor } from './wording.js';

/** What a person can ask for; each needs one of the roles in config. */
export type Verb = 'deploy' | 'start' | 'promote' | 'abort' | 'rollback' | 'override-freeze';

type Role = 'deploy' | 'approve' | 'rollback' | 'overrideFreeze';

/**
 * Starting a deploy CI left pending is asking for it, so it takes the deploy
 * role. Abort is open to whoever may deploy or approve: stopping a deploy
 * must never need more than starting one.
 */
const ROLES_FOR: Record<Verb, readonly Role[]> = {
  deploy: ['deploy'],
  start: ['deploy'],
  promote: ['approve'],
  abort: ['deploy', 'approve'],
  rollback: ['rollback'],
  'override-freeze': ['overrideFreeze'],
};

export interface AuthorizeContext {
  /** Slack user groups the actor belongs to (resolved by the front end). */
  groups?: readonly string[];
  /** Who asked for the deploy being acted on (for `roles.selfApprove: false`); a CI deploy counts as asked by whoever started it. */
  requestedBy?: Actor;
}

/**
 * Invariant 9: nobody acts without the right. Slack users are checked against
 * `roles` (user ids and user-group ids); a CI token may only start deploys; the
 * CLI and the agent are trusted (whoever runs them already holds the cluster's
 * credentials). Throws 'not-authorised' naming the role needed.
 *
 * @example
 * authorize(config.roles, { via: 'slack', id: 'U01BOB' }, 'promote', 'blog', { groups: ['S02TEAM'] });
 */
export function authorize(roles: Config['roles'], actor: Actor, verb: Verb, app: string, context: AuthorizeContext = {}): void {
  if (actor.via === 'cli' || actor.via === 'agent') return;
  const who = formatActor(actor);
  const doing = verb === 'override-freeze' ? `override a freeze of ${app}` : `${verb} ${app}`;
  if (actor.via === 'ci') {
    if (verb === 'deploy') return;
    // A release train may be trusted to ship through a freeze; it is named as ci:<token name>.
    if (verb === 'override-freeze') {
      if (roles.overrideFreeze.includes(`ci:${actor.id}`)) return;
      throw new SwitchyardError('not-authorised', `${who} may not ${doing}: the token is not in the overrideFreeze role`, {
        hint: `deploy after the freeze, or ask an admin to add ci:${actor.id} to roles.overrideFreeze in the switchyard config`,
      });
    }
    throw new SwitchyardError('not-authorised', `${who} may not ${verb} ${app}: CI tokens may only start deploys`, {
      hint: `${verb} it from Slack or the CLI`,
    });
  }
  const needed = ROLES_FOR[verb];
  const ids = new Set([actor.id, ...(context.groups ?? [])]);
  if (!needed.some((role) => roles[role].some((id) => ids.has(id)))) {
    throw new SwitchyardError('not-authorised', `${who} may not ${doing}: it needs the ${needed.join(' or ')} role`, {
      hint: `ask someone with it, or an admin to add you (or your user group) to roles.${needed[0]} in the switchyard config`,
    });
  }
  const own = context.requestedBy?.via === actor.via && context.requestedBy.id === actor.id;
  if (own && !roles.selfApprove && verb === 'promote') {
    throw new SwitchyardError('not-authorised', `${who} may not ${verb} ${app}: nobody approves their own deploy here`, {
      hint: 'ask another approver',
    });
  }
}

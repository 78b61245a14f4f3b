import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Verb } from '../deploy/authorize.js';
import { describeOutcome } from '../deploy/wording.js';
import { asSwitchyardError, SwitchyardError } from '../errors/switchyard-error.js';
import type { Actor, AppState, DeployRecord } from '../state/app-state.js';
import { checkAppName } from '../validate/patterns.js';
import { refusalText, type ChatContext } from './chat-context.js';
import type { ButtonAction, ButtonValue } from './deploy-message.js';

type Args = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export const BUTTON_ACTIONS: readonly ButtonAction[] = ['start', 'reject', 'promote', 'abort', 'rollback', 'gate-accept', 'gate-rollback'];

/** Ending a gate window early, either way, takes the rollback role. */
const VERB: Record<ButtonAction, Verb> = { start: 'start', reject: 'abort', promote: 'promote', abort: 'abort', rollback: 'rollback', 'gate-accept': 'rollback', 'gate-rollback': 'rollback' };

/**
 * A click on a deploy message's button: acknowledged at once; then checked
 * against the deploy as recorded now (a click on a button drawn for an
 * earlier state is answered plainly and changes nothing), against the
 * person's roles, and carried out through the deploy service. The message
 * itself changes through the feed.
 *
 * @example
 * app.action(/^(start|reject|promote|abort|rollback)$/, buttonClick(context));
 */
export const buttonClick =
  (c: ChatContext) =>
  async ({ ack, action, body, respond }: Args): Promise<void> => {
    await ack();
    const kind = action.action_id as ButtonAction;
    let text: string | undefined;
    try {
      const { app, id } = parseValue(action.value);
      const state = await c.service.readState(app);
      const stale = staleness(kind, id, state);
      if (stale) text = stale;
      else {
        const actor = await c.people.actor(body.user.id, body.user.name);
        const record = state.inFlight ?? state.history[0]!;
        const requestedBy = record.startedBy ?? record.requestedBy;
        c.service.authorize(actor, VERB[kind], app, { groups: await c.people.groupsOf(body.user.id), requestedBy });
        text = await act(c, kind, app, actor);
      }
    } catch (err) {
      const e = asSwitchyardError(err);
      c.log[e.code === 'not-authorised' ? 'warn' : 'info']({ code: e.code, user: body.user.id, action: kind, err: e.cause ?? e }, `slack: ${e.message}`);
      text = refusalText(e.toLine());
    }
    if (text) await respond({ response_type: 'ephemeral', replace_original: false, text });
  };

function parseValue(value: string | undefined): ButtonValue {
  try {
    const v = JSON.parse(value ?? '') as Partial<ButtonValue>;
    if (typeof v.app === 'string' && typeof v.id === 'string') return { app: checkAppName(v.app), id: v.id };
  } catch {
    // Answered below: a button this app did not draw.
  }
  throw new SwitchyardError('input-invalid', 'this button was not drawn by switchyard', { hint: `use the buttons of a deploy message, or the slash command` });
}

/** Why the click no longer applies, in words; undefined when it does. */
function staleness(kind: ButtonAction, id: string, s: AppState): string | undefined {
  const current: DeployRecord | undefined = [s.inFlight, ...s.history].find((r) => r?.id === id) ?? undefined;
  if (!current) return `\`${id}\` is no longer recorded; nothing was done.`;
  if (kind === 'rollback') {
    if (s.inFlight) return `${s.app} has \`${s.inFlight.id}\` in flight (${s.inFlight.phase}); nothing was done. Roll back once it ends.`;
    if (s.history[0]?.id !== id) return `\`${id}\` is no longer the latest deploy of ${s.app}; nothing was done. Use the Roll back button of the latest one.`;
    return undefined;
  }
  if (s.inFlight?.id !== id) return `\`${id}\` already ended: ${describeOutcome(current)}. Nothing was done.`;
  return undefined;
}

async function act(c: ChatContext, kind: ButtonAction, app: string, actor: Actor): Promise<string | undefined> {
  switch (kind) {
    case 'start':
      await c.service.startHeld(app, actor);
      return undefined;
    case 'promote':
      await c.service.promote(app, actor);
      return undefined;
    case 'reject':
    case 'abort':
      await c.service.abort(app, actor);
      return undefined;
    case 'rollback': {
      const { record } = await c.service.rollback(app, actor);
      return `Rolling ${app} back to ${record.toColour} ${record.version} as \`${record.id}\`.`;
    }
    case 'gate-accept':
      await c.service.endGate(app, actor, 'accept');
      return undefined;
    case 'gate-rollback':
      await c.service.endGate(app, actor, 'rollback');
      return undefined;
  }
}

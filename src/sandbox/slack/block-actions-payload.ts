import { isJsonObject, type JsonObject } from './json-object.js';
import type { SlackMessage } from './message-store.js';
import { slackTs, triggerId } from './slack-ids.js';
import type { SlackChannel, SlackUser, SlackWorkspace } from './slack-workspace.js';

/** A button of a message: its element as stored and the block it sits in. */
export interface FoundButton {
  blockId: string;
  button: JsonObject;
}

/** What the confirmation dialog of a button showed the person before the click went out. */
export interface ConfirmationShown {
  actionId: string;
  title?: string;
  text: string;
  confirm?: string;
  deny?: string;
}

/** A `block_actions` payload for one button click. */
export type BlockActionsPayload = JsonObject & { type: 'block_actions'; response_url: string; actions: JsonObject[] };

/** Every button of a message: in actions blocks and as sections' accessories, in order. */
export function buttonsOf(blocks: unknown[] | undefined): FoundButton[] {
  return (blocks ?? []).flatMap((block) => {
    if (!isJsonObject(block)) return [];
    const elements: unknown[] = block.type === 'actions' && Array.isArray(block.elements) ? block.elements : [block.accessory];
    return elements
      .filter((e): e is JsonObject => isJsonObject(e) && e.type === 'button')
      .map((button) => ({ blockId: String(block.block_id), button }));
  });
}

export function findButton(blocks: unknown[] | undefined, actionId: string): FoundButton | undefined {
  return buttonsOf(blocks).find((b) => b.button.action_id === actionId);
}

/** The texts of the button's confirm dialog, or undefined when it has none. */
export function confirmationOf(found: FoundButton): ConfirmationShown | undefined {
  const confirm = found.button.confirm;
  if (!isJsonObject(confirm)) return undefined;
  const text = (o: unknown) => (isJsonObject(o) && typeof o.text === 'string' ? o.text : undefined);
  return {
    actionId: String(found.button.action_id),
    ...optional('title', text(confirm.title)),
    text: text(confirm.text) ?? '',
    ...optional('confirm', text(confirm.confirm)),
    ...optional('deny', text(confirm.deny)),
  };
}

export interface ClickContext {
  workspace: SlackWorkspace;
  user: SlackUser;
  channel: SlackChannel;
  /** The message as the person's Slack showed it (an old version for a stale click). */
  message: SlackMessage;
  /** An ephemeral message's payload carries no `message`, as in Slack. */
  isEphemeral: boolean;
  found: FoundButton;
  responseUrl: string;
  nowMs: number;
}

/**
 * The payload Slack sends when a person clicks a button of a message, field
 * by field as Slack's block_actions reference and real payloads show it.
 *
 * @example
 * blockActionsPayload({ workspace, user, channel, message, isEphemeral: false, found, responseUrl, nowMs: Date.now() })
 */
export function blockActionsPayload(ctx: ClickContext): BlockActionsPayload {
  const { workspace, user, channel, message, found } = ctx;
  const { button } = found;
  const action: JsonObject = {
    action_id: button.action_id,
    block_id: found.blockId,
    text: button.text,
    ...(button.value !== undefined ? { value: button.value } : {}),
    ...(button.style !== undefined ? { style: button.style } : {}),
    type: 'button',
    action_ts: slackTs(Math.floor(ctx.nowMs * 1000)),
  };
  return {
    type: 'block_actions',
    user: { id: user.id, username: user.name, name: user.name, team_id: workspace.team.id },
    api_app_id: workspace.appId,
    token: workspace.verificationToken,
    container: {
      type: 'message',
      message_ts: message.ts,
      channel_id: channel.id,
      is_ephemeral: ctx.isEphemeral,
      ...(message.thread_ts !== undefined ? { thread_ts: message.thread_ts } : {}),
    },
    trigger_id: triggerId(),
    team: { id: workspace.team.id, domain: workspace.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel.id, name: channel.name },
    ...(ctx.isEphemeral ? {} : { message, state: { values: {} } }),
    response_url: ctx.responseUrl,
    actions: [action],
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

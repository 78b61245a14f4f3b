import { messageContent } from './message-content.js';
import { currentVersion, type MessageStore } from './message-store.js';
import { SlackApiError } from './slack-api-error.js';
import type { SlackProblems } from './slack-problems.js';
import { channelMembers, findChannel, type SlackChannel, type SlackWorkspace } from './slack-workspace.js';

export interface WebApiContext {
  workspace: SlackWorkspace;
  store: MessageStore;
  problems: SlackProblems;
  now(): number;
  /** A fresh Socket Mode URL, as apps.connections.open hands out. */
  openSocketUrl(): string;
}

/** Which token a method takes: the bot token, or the app-level token (Socket Mode only). */
export type TokenKind = 'bot' | 'app';

export interface WebApiMethod {
  token: TokenKind;
  /** Answers the `ok: true` fields, or throws SlackApiError. */
  call(args: Record<string, unknown>, ctx: WebApiContext): Record<string, unknown>;
}

/**
 * The Web API methods the stand-in serves, answering as Slack does (fields
 * and error codes of Slack's method reference). Any other method is answered
 * `unknown_method`.
 */
export const WEB_API_METHODS: Readonly<Record<string, WebApiMethod>> = {
  'auth.test': {
    token: 'bot',
    call: (_args, { workspace: { team, bot } }) => ({
      url: `https://${team.domain}.slack.com/`,
      team: team.name,
      user: bot.name,
      team_id: team.id,
      user_id: bot.userId,
      bot_id: bot.botId,
      is_enterprise_install: false,
    }),
  },

  'apps.connections.open': { token: 'app', call: (_args, ctx) => ({ url: ctx.openSocketUrl() }) },

  'chat.postMessage': {
    token: 'bot',
    call: (args, ctx) => {
      const channel = postableChannel(args, ctx);
      const content = messageContent(args, 'chat.postMessage', ctx.problems);
      const stored = ctx.store.post(channel.id, content, 'chat.postMessage', optionalString(args, 'thread_ts'));
      return { channel: channel.id, ts: stored.ts, message: currentVersion(stored) };
    },
  },

  'chat.postEphemeral': {
    token: 'bot',
    call: (args, ctx) => {
      const channel = postableChannel(args, ctx);
      const user = requiredString(args, 'user');
      if (!ctx.workspace.users.some((u) => u.id === user)) throw new SlackApiError('user_not_found', `no user ${user}`);
      if (!channelMembers(ctx.workspace, channel).includes(user)) throw new SlackApiError('user_not_in_channel', `${user} is not in #${channel.name}`);
      const content = messageContent(args, 'chat.postEphemeral', ctx.problems);
      const stored = ctx.store.postEphemeral(channel.id, user, content, 'chat.postEphemeral', optionalString(args, 'thread_ts'));
      return { message_ts: stored.ts };
    },
  },

  'chat.update': {
    token: 'bot',
    call: (args, ctx) => {
      const { channel, ts, stored } = storedMessage(args, ctx);
      const message = ctx.store.update(stored, messageContent(args, 'chat.update', ctx.problems), 'chat.update');
      return { channel: channel.id, ts, text: message.text, message };
    },
  },

  'chat.delete': {
    token: 'bot',
    call: (args, ctx) => {
      const { channel, ts, stored } = storedMessage(args, ctx);
      stored.deleted = true;
      return { channel: channel.id, ts };
    },
  },

  'users.info': {
    token: 'bot',
    call: (args, { workspace }) => {
      const id = requiredString(args, 'user');
      const user = workspace.users.find((u) => u.id === id);
      if (!user) throw new SlackApiError('user_not_found', `no user ${id}`);
      const profile = {
        real_name: user.realName,
        display_name: user.displayName,
        real_name_normalized: user.realName,
        display_name_normalized: user.displayName,
        team: workspace.team.id,
      };
      return {
        user: { id: user.id, team_id: workspace.team.id, name: user.name, deleted: false, real_name: user.realName, tz: 'Europe/London', is_bot: false, is_app_user: false, profile },
      };
    },
  },

  'usergroups.users.list': {
    token: 'bot',
    call: (args, { workspace }) => {
      const id = requiredString(args, 'usergroup');
      const group = workspace.usergroups.find((g) => g.id === id);
      if (!group) throw new SlackApiError('no_such_subteam', `no user group ${id}`);
      return { users: [...group.users] };
    },
  },

  'conversations.info': {
    token: 'bot',
    call: (args, ctx) => {
      const channel = channelById(args, ctx);
      const isMember = channel.botIsMember !== false;
      if (channel.isPrivate && !isMember) throw new SlackApiError('channel_not_found', `the bot cannot see ${channel.id}`);
      return {
        channel: {
          id: channel.id, name: channel.name, is_channel: !channel.isPrivate, is_group: false, is_im: false,
          is_private: channel.isPrivate === true, is_archived: false, is_member: isMember, created: 1_600_000_000,
          num_members: channelMembers(ctx.workspace, channel).length,
        },
      };
    },
  },
};

/** chat.postMessage and chat.postEphemeral take an id or a name; the bot must be in the channel. */
function postableChannel(args: Record<string, unknown>, ctx: WebApiContext): SlackChannel {
  const given = requiredString(args, 'channel');
  const channel = findChannel(ctx.workspace, given);
  if (!channel) throw new SlackApiError('channel_not_found', `no channel ${given}`);
  if (channel.botIsMember === false) throw new SlackApiError('not_in_channel', `the bot is not in #${channel.name}`);
  return channel;
}

/** chat.update, chat.delete and conversations.info need the channel's id: Slack does not find it by name. */
function channelById(args: Record<string, unknown>, ctx: WebApiContext): SlackChannel {
  const id = requiredString(args, 'channel');
  const channel = ctx.workspace.channels.find((c) => c.id === id);
  if (!channel) throw new SlackApiError('channel_not_found', `no channel with id ${id}${id.startsWith('#') ? ' (a name: this method needs the id)' : ''}`);
  return channel;
}

/** The message chat.update and chat.delete name (channel id and ts), or message_not_found as Slack answers. */
function storedMessage(args: Record<string, unknown>, ctx: WebApiContext) {
  const channel = channelById(args, ctx);
  const ts = requiredString(args, 'ts');
  const stored = ctx.store.find(channel.id, ts);
  if (!stored) throw new SlackApiError('message_not_found', `no message ${ts} in ${channel.id}`);
  return { channel, ts, stored };
}

function requiredString(args: Record<string, unknown>, key: string): string {
  const value = args[key];
  if (typeof value !== 'string' || value === '') {
    throw new SlackApiError(key === 'channel' ? 'channel_not_found' : 'invalid_arguments', `missing required argument ${key}`);
  }
  return value;
}

function optionalString(args: Record<string, unknown>, key: string): string | undefined {
  const value = args[key];
  return value === undefined || value === '' ? undefined : String(value);
}

import { triggerId } from './slack-ids.js';
import { channelMembers, findChannel, findUser, type SlackWorkspace } from './slack-workspace.js';

/** Someone types `/command text` in a channel. `user` and `channel` are ids or names. */
export interface SlashCommandInput {
  user: string;
  channel: string;
  /** With its slash: `/deploy`. */
  command: string;
  text?: string;
}

/**
 * A slash command as Slack sends it: the form fields of an HTTP request, or
 * the `payload` of a Socket Mode `slash_commands` envelope (strings only,
 * `is_enterprise_install` included).
 */
export interface SlashCommandPayload {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  is_enterprise_install: 'false';
  response_url: string;
  trigger_id: string;
  [field: string]: string;
}

/**
 * Builds the payload Slack would send for the command; `responseUrl` issues
 * the command's response_url. Throws when Slack would never send it (an
 * unknown person or channel, or a person outside the channel).
 *
 * @example
 * slashCommandPayload(workspace, { user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog 2.0.0' }, issue)
 */
export function slashCommandPayload(
  workspace: SlackWorkspace,
  input: SlashCommandInput,
  responseUrl: (origin: { channel: string; user: string }) => string,
): SlashCommandPayload {
  const user = findUser(workspace, input.user);
  const channel = findChannel(workspace, input.channel);
  if (!user) throw new Error(`no person ${input.user} in the stand-in workspace`);
  if (!channel) throw new Error(`no channel ${input.channel} in the stand-in workspace`);
  if (!channelMembers(workspace, channel).includes(user.id)) throw new Error(`${user.name} is not in #${channel.name} and cannot type a command there`);
  if (!/^\/[a-z0-9_-]+$/.test(input.command)) throw new Error(`${input.command} is not a slash command (like /deploy)`);
  return {
    token: workspace.verificationToken,
    team_id: workspace.team.id,
    team_domain: workspace.team.domain,
    channel_id: channel.id,
    channel_name: channel.name,
    user_id: user.id,
    user_name: user.name,
    command: input.command,
    text: input.text ?? '',
    api_app_id: workspace.appId,
    is_enterprise_install: 'false',
    response_url: responseUrl({ channel: channel.id, user: user.id }),
    trigger_id: triggerId(),
  };
}

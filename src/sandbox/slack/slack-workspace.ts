export interface SlackUser {
  /** `U…` */
  id: string;
  /** The handle (`name` in users.info, `user_name` in a slash command). */
  name: string;
  realName: string;
  displayName: string;
}

export interface SlackChannel {
  /** `C…` */
  id: string;
  /** Without the `#`. */
  name: string;
  isPrivate?: boolean;
  /** User ids in the channel; every fixture user when left out. */
  members?: string[];
  /** False: posting answers not_in_channel, as for a bot nobody invited (default true). */
  botIsMember?: boolean;
}

export interface SlackUsergroup {
  /** `S…` */
  id: string;
  handle: string;
  users: string[];
}

/**
 * Everything the Slack stand-ins know about: the team, the app and its bot,
 * its tokens and signing secret, and the fixture people, channels and groups.
 */
export interface SlackWorkspace {
  team: { id: string; name: string; domain: string };
  appId: string;
  bot: { userId: string; botId: string; name: string };
  /** The bot token (`xoxb-…`) every Web API method but apps.connections.open takes. */
  botToken: string;
  /** The app-level token (`xapp-…`) for apps.connections.open. */
  appToken: string;
  /** Signs requests to an HTTP receiver. */
  signingSecret: string;
  /** The deprecated verification token Slack still puts in every payload. */
  verificationToken: string;
  users: SlackUser[];
  channels: SlackChannel[];
  usergroups: SlackUsergroup[];
}

/**
 * The sandbox's Slack: a team with three people, `#deploys` and
 * `#blog-deploys`, and the people and groups the example config's roles name
 * (U01ALICE, U02BOB; S03WEBTEAM approves, S04ONCALL rolls back). Any part
 * can be replaced.
 *
 * @example
 * const workspace = sandboxSlackWorkspace({ channels: [{ id: 'C0OPS00001', name: 'ops' }] });
 */
export function sandboxSlackWorkspace(overrides: Partial<SlackWorkspace> = {}): SlackWorkspace {
  return {
    team: { id: 'T0SWITCHY1', name: 'switchyard sandbox', domain: 'switchyard-sandbox' },
    appId: 'A0SWITCHYD',
    bot: { userId: 'U0SWBOT001', botId: 'B0SWBOT001', name: 'switchyard' },
    botToken: 'xoxb-1000000001-2000000002-standinbottoken0000001',
    appToken: 'xapp-1-A0SWITCHYD-3000000003-standinapptoken00000000000000000000001',
    signingSecret: '5a1d0be5ec0de0000000000000000a01',
    verificationToken: 'standinverificationtoken',
    users: [
      { id: 'U01ALICE', name: 'alice', realName: 'Alice Archer', displayName: 'alice' },
      { id: 'U02BOB', name: 'bob', realName: 'Bob Brennan', displayName: 'bobby' },
      { id: 'U03CAROL', name: 'carol', realName: 'Carol Chen', displayName: 'carol (on call)' },
    ],
    channels: [
      { id: 'C0DEPLOYS1', name: 'deploys' },
      { id: 'C0BLOGDEP1', name: 'blog-deploys' },
    ],
    usergroups: [
      { id: 'S03WEBTEAM', handle: 'web-team', users: ['U01ALICE', 'U02BOB'] },
      { id: 'S04ONCALL', handle: 'oncall', users: ['U03CAROL'] },
    ],
    ...overrides,
  };
}

/** A channel by id, `name` or `#name`, as chat.postMessage accepts it. */
export function findChannel(workspace: SlackWorkspace, idOrName: string): SlackChannel | undefined {
  const name = idOrName.replace(/^#/, '');
  return workspace.channels.find((c) => c.id === idOrName || c.name === name);
}

export function channelMembers(workspace: SlackWorkspace, channel: SlackChannel): string[] {
  return channel.members ?? workspace.users.map((u) => u.id);
}

/** A person by id or handle. */
export function findUser(workspace: SlackWorkspace, idOrName: string): SlackUser | undefined {
  return workspace.users.find((u) => u.id === idOrName || u.name === idOrName);
}

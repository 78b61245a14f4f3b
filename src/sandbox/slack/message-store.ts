import { SlackApiError } from './slack-api-error.js';
import { TsClock } from './slack-ids.js';
import type { SlackWorkspace } from './slack-workspace.js';
import { storedBlocks } from './stored-blocks.js';

/** A message as Slack returns it (chat.postMessage's `message`, a block_actions payload's `message`). */
export interface SlackMessage {
  user: string;
  type: 'message';
  ts: string;
  bot_id: string;
  app_id: string;
  text: string;
  team: string;
  blocks?: unknown[];
  thread_ts?: string;
  edited?: { user: string; ts: string };
}

/** What changed a message: a Web API method, a response_url post, or a slash command's ack. */
export type MessageSource = 'chat.postMessage' | 'chat.postEphemeral' | 'chat.update' | 'response_url' | 'ack';

export interface MessageVersion {
  message: SlackMessage;
  by: MessageSource;
  at: number;
}

/** One message and its history, as a test or the demo reads it. */
export interface StoredMessage {
  channel: string;
  ts: string;
  /** Every version, oldest first; the last is what Slack shows now. */
  versions: MessageVersion[];
  /** Replies in its thread, oldest first. */
  replies: StoredMessage[];
  /** Set for an ephemeral message: the only person who sees it. */
  ephemeralTo?: string;
  deleted: boolean;
}

export interface MessageContent {
  text?: string;
  blocks?: unknown[];
}

/** The message as Slack shows it now. */
export function currentVersion(message: StoredMessage): SlackMessage {
  const last = message.versions.at(-1);
  if (!last) throw new Error(`message ${message.ts} has no version`);
  return last.message;
}

/**
 * Channels' messages with every version kept, thread replies under their
 * parent, and ephemeral messages (which Slack keeps for their recipient only).
 */
export class MessageStore {
  private readonly topLevel = new Map<string, StoredMessage[]>();
  private readonly ephemeral: StoredMessage[] = [];
  private readonly clock: TsClock;
  private readonly workspace: SlackWorkspace;
  private readonly now: () => number;

  constructor(workspace: SlackWorkspace, now: () => number) {
    this.workspace = workspace;
    this.now = now;
    this.clock = new TsClock(now);
  }

  post(channel: string, content: MessageContent, by: MessageSource, threadTs?: string): StoredMessage {
    const parent = threadTs === undefined ? undefined : this.threadParent(channel, threadTs);
    const stored = this.create(channel, content, by, parent?.ts);
    if (parent) parent.replies.push(stored);
    else this.channelMessages(channel).push(stored);
    return stored;
  }

  postEphemeral(channel: string, user: string, content: MessageContent, by: MessageSource, threadTs?: string): StoredMessage {
    const stored = { ...this.create(channel, content, by, threadTs), ephemeralTo: user };
    this.ephemeral.push(stored);
    return stored;
  }

  /** Adds a version. Blocks left out are kept, as chat.update keeps them; `[]` removes them. */
  update(message: StoredMessage, content: MessageContent, by: MessageSource): SlackMessage {
    const previous = currentVersion(message);
    const blocks = content.blocks === undefined ? previous.blocks : content.blocks.length > 0 ? storedBlocks(content.blocks) : undefined;
    const next: SlackMessage = { ...previous, text: content.text ?? '', edited: { user: this.workspace.bot.userId, ts: this.clock.next(message.channel) } };
    if (blocks) next.blocks = blocks;
    else delete next.blocks;
    message.versions.push({ message: next, by, at: this.now() });
    return next;
  }

  /**
   * A message or thread reply of a channel, unless deleted (or `deleted: true`).
   * Ephemeral messages are not found: no API method can reach them.
   */
  find(channel: string, ts: string, { deleted = false } = {}): StoredMessage | undefined {
    return this.messages(channel)
      .flatMap((m) => [m, ...m.replies])
      .find((m) => m.ts === ts && (deleted || !m.deleted));
  }

  findEphemeral(channel: string, ts: string, { deleted = false } = {}): StoredMessage | undefined {
    return this.ephemeral.find((m) => m.channel === channel && m.ts === ts && (deleted || !m.deleted));
  }

  /** Top-level messages of a channel, oldest first (deleted ones included, marked). */
  messages(channel: string): StoredMessage[] {
    return this.topLevel.get(channel) ?? [];
  }

  ephemerals(user?: string): StoredMessage[] {
    return this.ephemeral.filter((m) => user === undefined || m.ephemeralTo === user);
  }

  private create(channel: string, content: MessageContent, by: MessageSource, threadTs: string | undefined): StoredMessage {
    const ts = this.clock.next(channel);
    const { bot, appId, team } = this.workspace;
    const message: SlackMessage = { user: bot.userId, type: 'message', ts, bot_id: bot.botId, app_id: appId, text: content.text ?? '', team: team.id };
    if (content.blocks && content.blocks.length > 0) message.blocks = storedBlocks(content.blocks);
    if (threadTs !== undefined) message.thread_ts = threadTs;
    return { channel, ts, versions: [{ message, by, at: this.now() }], replies: [], deleted: false };
  }

  /** A reply to a reply goes to the thread's parent, as in Slack. */
  private threadParent(channel: string, threadTs: string): StoredMessage {
    for (const m of this.messages(channel)) {
      if (m.ts === threadTs || m.replies.some((r) => r.ts === threadTs)) return m;
    }
    throw new SlackApiError('invalid_thread_ts', `no message ${threadTs} in ${channel} to reply to`);
  }

  private channelMessages(channel: string): StoredMessage[] {
    let list = this.topLevel.get(channel);
    if (!list) this.topLevel.set(channel, (list = []));
    return list;
  }
}

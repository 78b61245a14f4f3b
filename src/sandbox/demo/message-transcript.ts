import { currentVersion, type MessageSource, type StoredMessage } from '../slack/message-store.js';
import { blockKitText } from './block-kit-text.js';

/** A Slack message's life in plain lines: each version people saw, and the replies in its thread. */
export interface MessageTranscript {
  channel: string;
  ts: string;
  /** Oldest first: the post, then every edit. */
  versions: Array<{ by: MessageSource; lines: string[] }>;
  /** Each reply as it reads now. */
  replies: string[][];
}

/**
 * Reads a message the Slack stand-in stored: every version (chat.postMessage,
 * then each chat.update) and each thread reply, as text (see blockKitText).
 *
 * @example
 * formatTranscript(messageTranscript(slack.message('#deploys', ts))).forEach((l) => console.log(l));
 * // version 1 (chat.postMessage):
 * //   :hourglass: Deploy of blog: blue 1.0.0 → green 2.0.0 · waiting for someone to Start it
 * //   [Start] [Reject]
 * // ...
 * // thread (1 reply):
 * //   start requested (alice (slack))
 */
export function messageTranscript(m: StoredMessage): MessageTranscript {
  return {
    channel: m.channel,
    ts: m.ts,
    versions: m.versions.map((v) => ({ by: v.by, lines: blockKitText(v.message) })),
    replies: m.replies.map((r) => blockKitText(currentVersion(r))),
  };
}

/** The transcript as lines: one indented block per version, then the thread. */
export function formatTranscript(t: MessageTranscript): string[] {
  const versions = t.versions.flatMap((v, i) => [`version ${i + 1} (${v.by}):`, ...v.lines.map((l) => `  ${l}`)]);
  const n = t.replies.length;
  const thread = n === 0 ? ['thread: no replies'] : [`thread (${n} ${n === 1 ? 'reply' : 'replies'}):`, ...t.replies.flatMap((r) => r.map((l) => `  ${l}`))];
  return [...versions, ...thread];
}

import { describeOutcome, formatActor } from '../../deploy/wording.js';
import type { DeployRecord } from '../../state/app-state.js';
import { buttonsOf } from '../slack/block-actions-payload.js';
import { currentVersion, type StoredMessage } from '../slack/message-store.js';
import type { SlackStandIn } from '../slack/start-slack-stand-in.js';
import { blockKitText } from './block-kit-text.js';
import type { DemoOutput } from './demo-output.js';
import { interruptible } from './interruptible.js';
import { formatTranscript, messageTranscript } from './message-transcript.js';
import { pollUntil } from './poll-until.js';

/** The buttons a message offers now, by action id. */
export const buttonsNow = (m: StoredMessage): string[] => buttonsOf(currentVersion(m).blocks).map((b) => String(b.button.action_id));

/** The buttons a message offers now (or only `actionId`), as people see them: `[Start] [Reject]`. */
export function buttonsText(m: StoredMessage, actionId?: string): string {
  const buttons = buttonsOf(currentVersion(m).blocks).filter((b) => actionId === undefined || b.button.action_id === actionId);
  return blockKitText({ blocks: [{ type: 'actions', elements: buttons.map((b) => b.button) }] }).join(' ');
}

/**
 * The message shows how the run ended, and its thread names everyone who
 * acted on it after it was asked for: a thread note is posted after the
 * edit it goes with, so the last edit alone is not the end.
 */
export function showsTheEnd(m: StoredMessage, r: DeployRecord): boolean {
  const thread = m.replies.map((reply) => currentVersion(reply).text).join('\n');
  const acted = [r.startedBy, r.promotedBy, r.abortedBy].filter((a) => a !== undefined);
  return currentVersion(m).text.endsWith(describeOutcome(r)) && acted.every((a) => thread.includes(formatActor(a)));
}

/**
 * The people of the sandbox's Slack (alice, bob, carol) at work in one
 * channel: they wait for a deploy's message to show something, click its
 * buttons and type slash commands, all through the Slack stand-in's Socket
 * Mode as a person's Slack would send them. Each action is told as a step.
 *
 * @example
 * const people = new DemoSlack(slack, '#deploys', output, signal);
 * const m = await people.untilMessage(id, (m) => buttonsNow(m).includes('start'), 'offer [Start]');
 * await people.click('alice', m, 'start');
 */
export class DemoSlack {
  private readonly slack: SlackStandIn;
  private readonly channel: string;
  private readonly o: DemoOutput;
  private readonly signal: AbortSignal;

  constructor(slack: SlackStandIn, channel: string, o: DemoOutput, signal: AbortSignal) {
    this.slack = slack;
    this.channel = channel;
    this.o = o;
    this.signal = signal;
  }

  /** The channel's message about `deployId`, once `ready` holds for it; fails after a minute, naming `what`. */
  untilMessage(deployId: string, ready: (m: StoredMessage) => boolean, what: string): Promise<StoredMessage> {
    const find = () => this.slack.messages(this.channel).find((m) => blockKitText(m.versions[0]!.message).some((l) => l.includes(deployId)));
    const readyNow = () => {
      const m = find();
      return m && ready(m) ? m : undefined;
    };
    return pollUntil(readyNow, `the message of ${deployId} in ${this.channel} to ${what}`, this.signal, () => {
      const m = find();
      return m ? `it shows: ${blockKitText(currentVersion(m)).join(' / ')}` : 'no message about it was posted';
    });
  }

  /** `user` clicks the button `actionId` of the message (and confirms its dialog, if it has one). */
  async click(user: string, m: StoredMessage, actionId: string): Promise<void> {
    const text = buttonsText(m, actionId);
    const clicked = await interruptible(this.slack.clickButton({ user, channel: this.channel, ts: m.ts, actionId }), this.signal);
    const c = clicked.confirmation;
    this.o.step(
      { type: 'slack-click', user, channel: this.channel, ts: m.ts, action: actionId, confirmation: c, ackMs: Math.round(clicked.ack.latencyMs) },
      `  ${user} clicks ${text} on the message in ${this.channel} (Socket Mode)` + (c ? '; Slack first asks:' : ''),
      ...(c ? [`    ${c.title ?? ''}: ${c.text}  [${c.confirm ?? 'OK'}] [${c.deny ?? 'Cancel'}]`, `    ${user} confirms`] : []),
    );
  }

  /** `user` types `command text` in the channel; answers what Slack showed them only (the ephemeral reply). */
  async command(user: string, command: string, text: string): Promise<string> {
    const sent = await interruptible(this.slack.slashCommand({ user, channel: this.channel, command, text }), this.signal);
    const url = sent.payload.response_url;
    const reply = await pollUntil(() => this.slack.responses().find((r) => r.url === url), `a reply to ${command} ${text}`, this.signal);
    const replyText = blockKitText(reply.body as { text?: string; blocks?: unknown[] }).join(' ');
    this.o.step(
      { type: 'slack-command', user, channel: this.channel, command, text, ackMs: Math.round(sent.ack.latencyMs), reply: { outcome: reply.outcome, text: replyText } },
      `  ${user} types in ${this.channel}: ${command} ${text}  (Socket Mode)`,
      `    Slack shows ${user} only: ${replyText}`,
    );
    return replyText;
  }

  /** Every version of the message and its thread, as lines. */
  show(m: StoredMessage, heading: string): void {
    const t = messageTranscript(m);
    this.o.step({ type: 'slack-message', ...t }, '', heading, ...formatTranscript(t).map((l) => `  ${l}`));
  }

  /** What the stand-in saw that Slack would refuse or that nobody would see. */
  problems(): string[] {
    return this.slack.unexpected.map((p) => `Slack: ${p.kind} at ${p.where}: ${p.detail}`);
  }
}

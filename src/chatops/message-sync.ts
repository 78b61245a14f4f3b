import type { webApi } from '@slack/bolt';
import type { AppConfig } from '../config/schema.js';
import type { DeploySnapshot } from '../deploy/deploy-feed.js';
import { isFinal } from '../deploy/deploy-phases.js';
import { FREEZE_OVERRIDE_NOTE, RESUMED_NOTE, type DeployService } from '../deploy/deploy-service.js';
import type { Clock } from '../deploy/ports.js';
import { formatActor } from '../deploy/wording.js';
import type { Logger } from '../log/logger.js';
import type { DeployRecord, Transition } from '../state/app-state.js';
import { deployMessage } from './deploy-message.js';

export interface MessageSyncOptions {
  client: webApi.WebClient;
  service: DeployService;
  apps: readonly AppConfig[];
  /** The channel of apps that name none. */
  channel: string;
  clock: Clock;
  log: Logger;
  /** Least time between two edits of one message (Slack allows about one per second per channel). */
  minEditMs?: number;
  /** A Web API call failed (after the client's own retries). */
  onApiError?: (method: string, err: unknown) => void;
}

interface Synced {
  latest: DeploySnapshot;
  /** The revision last drawn into Slack. */
  drawn: number;
  lastEditAt: number;
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  reminderTimer: NodeJS.Timeout | undefined;
  /** Transitions already told in the thread (what was there when this agent first saw the message is not told again). */
  told: number;
  reminded: boolean;
}

/**
 * Keeps one Slack message per deploy in step with the deploy feed: posted
 * once (its channel and ts are noted in the deploy record, so any agent, or
 * this one after a restart, edits that same message), then edited in place
 * from the latest snapshot, at most one edit per `minEditMs`. Details go in
 * the message's thread: who asked for what, errors, the reminder at half the
 * verification timeout. Thread notes come from the agent running the deploy,
 * so several agents do not repeat them.
 *
 * @example
 * const sync = new MessageSync({ client: app.client, service, apps, channel: '#deploys', clock, log });
 * const stop = service.watch({}, (s) => sync.update(s));
 */
export class MessageSync {
  private readonly synced = new Map<string, Synced>();
  private readonly o: MessageSyncOptions;
  private readonly minEditMs: number;
  private closed = false;

  constructor(options: MessageSyncOptions) {
    this.o = options;
    this.minEditMs = options.minEditMs ?? 1000;
  }

  /** A new snapshot of a deploy: drawn now, or as soon as the last edit is old enough. */
  update(s: DeploySnapshot): void {
    if (this.closed) return;
    let entry = this.synced.get(s.record.id);
    if (!entry) {
      entry = { latest: s, drawn: 0, lastEditAt: 0, running: undefined, timer: undefined, reminderTimer: undefined, told: s.record.chat ? s.record.transitions.length : 1, reminded: false };
      this.synced.set(s.record.id, entry);
    }
    if (s.revision < entry.latest.revision) return;
    entry.latest = s;
    this.schedule(entry);
  }

  /** Stops editing; waits for edits under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.synced.values()) {
      clearTimeout(e.timer);
      clearTimeout(e.reminderTimer);
    }
    await Promise.all([...this.synced.values()].map((e) => e.running));
  }

  private schedule(e: Synced): void {
    if (e.running || e.timer || this.closed) return;
    const wait = e.lastEditAt + this.minEditMs - this.o.clock.now().getTime();
    if (wait > 0) {
      e.timer = setTimeout(() => {
        e.timer = undefined;
        this.schedule(e);
      }, wait);
      return;
    }
    e.running = this.draw(e)
      .catch((err: unknown) => this.o.log.warn({ err, deployId: e.latest.record.id }, 'updating the deploy message in Slack failed'))
      .finally(() => {
        e.running = undefined;
        if (e.latest.revision > e.drawn) this.schedule(e);
        else if (isFinal(e.latest.record.phase)) {
          clearTimeout(e.reminderTimer);
          this.synced.delete(e.latest.record.id);
        }
      });
  }

  private async draw(e: Synced): Promise<void> {
    const s = e.latest;
    e.drawn = s.revision;
    e.lastEditAt = this.o.clock.now().getTime();
    const { text, blocks } = deployMessage(s, this.o.clock.now());
    const chat = s.record.chat ?? (await this.post(s, text, blocks));
    if (!chat) return;
    if (s.record.chat) await this.call('chat.update', () => this.o.client.chat.update({ channel: chat.channel, ts: chat.ts, text, blocks }));
    if (this.o.service.runs(s.record.id) || isFinal(s.record.phase)) await this.tell(e, s.record, chat);
  }

  /** Posts the deploy's message and notes it in the record; an agent that lost the race to note one deletes its own. */
  private async post(s: DeploySnapshot, text: string, blocks: unknown[]): Promise<DeployRecord['chat']> {
    const app = this.o.apps.find((a) => a.name === s.app);
    const channel = app?.channel ?? this.o.channel;
    const posted = await this.call('chat.postMessage', () => this.o.client.chat.postMessage({ channel, text, blocks: blocks as never }));
    if (!posted?.ts || !posted.channel) return undefined;
    const chat = { channel: posted.channel, ts: posted.ts };
    if (await this.o.service.attachChat(s.app, s.record.id, chat)) return chat;
    await this.call('chat.delete', () => this.o.client.chat.delete(chat));
    return undefined;
  }

  /** Tells in the thread what happened since the last note: people's actions, errors, and the verification reminder. */
  private async tell(e: Synced, r: DeployRecord, chat: NonNullable<DeployRecord['chat']>): Promise<void> {
    const lines = r.transitions.slice(e.told).flatMap((t) => this.noteOf(t, r));
    e.told = r.transitions.length;
    const reminder = this.reminder(e, r);
    if (reminder) lines.push(reminder);
    if (lines.length === 0) return;
    await this.call('chat.postMessage', () => this.o.client.chat.postMessage({ channel: chat.channel, thread_ts: chat.ts, text: lines.join('\n') }));
  }

  private noteOf(t: Transition, r: DeployRecord): string[] {
    const by = t.by && t.by.via !== 'agent' ? ` (${formatActor(t.by)})` : '';
    if (t.note?.endsWith('requested')) return [`${t.note}${by}`];
    if (t.note?.startsWith(FREEZE_OVERRIDE_NOTE)) return [`:snowflake: ${t.note}${by}`];
    if (t.note?.startsWith(RESUMED_NOTE)) return [`:arrows_counterclockwise: ${t.note} (it was ${t.phase})`];
    if (t.phase === 'failed' || t.phase === 'aborted') return [`${t.phase}: ${t.note ?? r.error?.message ?? ''}${r.error?.hint ? ` — ${r.error.hint}` : ''}`];
    return [];
  }

  /** Once, at half the verification timeout: a deploy nobody promoted or aborted yet. */
  private reminder(e: Synced, r: DeployRecord): string | undefined {
    if (e.reminded || r.phase !== 'verifying' || r.promotedBy || r.abortedBy || !r.verifyUntil) return undefined;
    const app = this.o.apps.find((a) => a.name === r.app);
    if (!app) return undefined;
    const until = new Date(r.verifyUntil).getTime();
    const half = until - (app.verify.timeout * 1000) / 2;
    const now = this.o.clock.now().getTime();
    if (now < half) {
      // Drawn again then, which tells the reminder.
      clearTimeout(e.reminderTimer);
      e.reminderTimer = setTimeout(() => {
        e.drawn = 0;
        this.schedule(e);
      }, half - now);
      return undefined;
    }
    e.reminded = true;
    return `:bell: ${r.app} ${r.version} still waits for Promote or Abort; it is aborted at ${r.verifyUntil.slice(11, 16)} UTC if nobody decides.`;
  }

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.o.onApiError?.(method, err);
      this.o.log.warn({ err, method }, `Slack ${method} failed`);
      return undefined;
    }
  }
}

import { randomBytes, randomInt } from 'node:crypto';

/** `seconds.microseconds`, six digits after the dot, as Slack writes a `ts` or `action_ts`. */
export function slackTs(epochMicros: number): string {
  return `${Math.floor(epochMicros / 1e6)}.${String(epochMicros % 1e6).padStart(6, '0')}`;
}

/**
 * Message timestamps: Slack's `ts` is the message's id within its channel,
 * so two messages of one channel never share one, even within a microsecond.
 */
export class TsClock {
  private readonly last = new Map<string, number>();
  private readonly nowMs: () => number;

  constructor(nowMs: () => number) {
    this.nowMs = nowMs;
  }

  next(channel: string): string {
    const micros = Math.max(Math.floor(this.nowMs() * 1000), (this.last.get(channel) ?? 0) + 1);
    this.last.set(channel, micros);
    return slackTs(micros);
  }
}

/** Like Slack's `13345224609.738474.c9ee0d6bfda7a9f3ba20d3a2b1ed6f53`. */
export function triggerId(): string {
  return `${randomInt(1e12, 1e13 - 1)}.${randomInt(1e9, 1e10 - 1)}.${randomBytes(16).toString('hex')}`;
}

/**
 * The short ids Slack gives a block or button that came without one
 * (`"block_id":"GhQRY"`): letters, digits and a few symbols.
 */
export function generatedId(): string {
  return randomBytes(4).toString('base64').replace(/=+$/, '').slice(0, 4 + randomInt(2));
}

/** The secret last part of a response_url. */
export function urlSecret(): string {
  return randomBytes(18).toString('base64url').slice(0, 24);
}

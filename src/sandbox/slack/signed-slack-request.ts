import { createHmac } from 'node:crypto';

/** A slash command goes as its form fields; an interaction as one `payload` field holding JSON. */
export type SlackRequestBody = { command: Record<string, string> } | { interactive: Record<string, unknown> };

export interface SignedRequestOptions {
  signingSecret: string;
  /** X-Slack-Request-Timestamp in seconds (now by default): set it to send a stale or future request. */
  timestamp?: number;
  /** `wrong`: signed with another secret, as a forger would. */
  signature?: 'valid' | 'wrong';
  now?: () => number;
}

export interface SlackRequestAnswer {
  status: number;
  headers: Headers;
  /** The raw body (Bolt's ack: empty, text or JSON). */
  body: string;
}

/**
 * POSTs to an HTTP receiver (Bolt's `/slack/events`) what Slack would send,
 * signed as Slack signs: `X-Slack-Signature: v0=` + hex HMAC-SHA256 of
 * `v0:<timestamp>:<body>` with the app's signing secret.
 *
 * @example
 * const answer = await signedSlackRequest(`${url}/slack/events`, { command: slack.slashCommandPayload(input) }, { signingSecret });
 * const stale = await signedSlackRequest(url, body, { signingSecret, timestamp: Math.floor(Date.now() / 1000) - 301 });
 */
export async function signedSlackRequest(url: string, body: SlackRequestBody, options: SignedRequestOptions): Promise<SlackRequestAnswer> {
  const form = 'command' in body ? new URLSearchParams(body.command) : new URLSearchParams({ payload: JSON.stringify(body.interactive) });
  const raw = form.toString();
  const timestamp = options.timestamp ?? Math.floor((options.now ?? Date.now)() / 1000);
  const secret = options.signature === 'wrong' ? `${options.signingSecret}-not` : options.signingSecret;
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
    body: raw,
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

import { App, LogLevel } from '@slack/bolt';
import type { SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';

/**
 * Real Bolt apps against the stand-in, and what the tests need around them:
 * waiting for an effect, and proving nothing was left running.
 */

/** A Socket Mode app as switchyard builds one: `clientOptions.slackApiUrl` alone points Bolt 5.1 (Web API and apps.connections.open) at the stand-in. */
export function socketModeApp(slack: SlackStandIn): App {
  return new App({
    token: slack.workspace.botToken,
    appToken: slack.workspace.appToken,
    socketMode: true,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: slack.apiUrl },
  });
}

/** An app on Bolt's HTTP receiver, checking signatures with the workspace's signing secret. */
export function httpApp(slack: SlackStandIn): App {
  return new App({
    token: slack.workspace.botToken,
    signingSecret: slack.workspace.signingSecret,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: slack.apiUrl },
  });
}

/** Waits until `check` answers something other than undefined or false (5 s at most). */
export async function eventually<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Sockets, servers and timers now open (the worker's pipes aside). */
export function openHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * Fails unless the open sockets, servers and timers come back to `before`
 * (closing sockets take a turn of the event loop, so it waits a little).
 */
export async function expectNoHandlesLeft(before: Record<string, number>): Promise<void> {
  const left = () => Object.entries(openHandles()).filter(([kind, n]) => n > (before[kind] ?? 0));
  await eventually('sockets, servers and timers to close', () => left().length === 0, 2000).catch(() => {
    throw new Error(`left open: ${left().map(([kind, n]) => `${n - (before[kind] ?? 0)} ${kind}`).join(', ')}`);
  });
}

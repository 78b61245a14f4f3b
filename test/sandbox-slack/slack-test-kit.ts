import { createHook } from 'node:async_hooks';
import { App, LogLevel, type Logger } from '@slack/bolt';
import type { SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';

/**
 * Real Bolt apps against the stand-in, and what the tests need around them:
 * waiting for an effect, and proving nothing was left running.
 */

/**
 * A Socket Mode app as switchyard builds one: `clientOptions.slackApiUrl` alone
 * points Bolt 5.1 (Web API and apps.connections.open) at the stand-in.
 */
export function socketModeApp(slack: SlackStandIn, logger?: Logger): App {
  return new App({
    token: slack.workspace.botToken,
    appToken: slack.workspace.appToken,
    socketMode: true,
    logLevel: LogLevel.ERROR,
    ...(logger ? { logger } : {}),
    clientOptions: { slackApiUrl: slack.apiUrl },
  });
}

/** A Bolt logger that keeps its errors, for a test that expects Bolt to complain. */
export function errorCollector(): Logger & { errors: string[] } {
  const errors: string[] = [];
  let level = LogLevel.ERROR;
  return {
    errors,
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (...msg: unknown[]) => void errors.push(msg.map(String).join(' ')),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
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

const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP']);
/**
 * Created by the test runner, by this file's polling, or by undici's shared
 * timer wheel (a tick that stops by itself within a second once no request
 * needs it): all end on their own.
 */
const NOT_OURS = /[\\/](vitest|@vitest|birpc|tinypool)[\\/]|slack-test-kit\.ts|undici[\\/]lib[\\/]util[\\/]timers\.js/;

interface Tracked {
  type: string;
  createdAt: string;
  /** Unref'd timers (Node's own housekeeping) never keep a process alive. */
  keepsAlive(): boolean;
}

/**
 * Records the timers, sockets and servers created from now on and not yet
 * closed; `expectNoneLeft()` fails naming where each one left open was
 * created (closing sockets take a turn of the event loop, so it waits up to 2 s).
 *
 * @example
 * const handles = trackHandles(); // in beforeEach
 * await handles.expectNoneLeft(); // in afterEach, after stopping apps and closing stand-ins
 */
export function trackHandles(): { expectNoneLeft(): Promise<void> } {
  const live = new Map<number, Tracked>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (!TRACKED.has(type)) return;
      // Who created it: the first frame past this hook (the first two lines) and Node's own code.
      const creator = (new Error().stack ?? '').split('\n').slice(2).find((line) => line.includes('/') && !line.includes('node:')) ?? '';
      if (NOT_OURS.test(creator)) return;
      const timer = type === 'Timeout' ? new WeakRef(resource as NodeJS.Timeout) : undefined;
      live.set(id, { type, createdAt: creator.trim() || '(by Node itself)', keepsAlive: () => timer?.deref()?.hasRef() ?? true });
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  const left = () => [...live.values()].filter((h) => h.keepsAlive());
  return {
    async expectNoneLeft() {
      try {
        await eventually('timers, sockets and servers to close', () => left().length === 0, 2000);
      } catch {
        throw new Error(`left open:\n${left().map((h) => `  ${h.type} created ${h.createdAt}`).join('\n')}`);
      } finally {
        hook.disable();
      }
    },
  };
}

import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log/logger.js';

/**
 * Bolt's and its clients' logs into our structured log, under `slack`. Bolt
 * prints a warning per rate-limited call and per reconnect; those belong in
 * the log, not on a terminal.
 */
export function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'slack' });
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...msg) => child.debug(text(msg)),
    info: (...msg) => child.info(text(msg)),
    warn: (...msg) => child.warn(text(msg)),
    error: (...msg) => child.error(text(msg)),
    setLevel: (l) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

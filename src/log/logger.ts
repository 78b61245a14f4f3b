import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The structured log: full detail of every failure goes here, while people
 * get one line. JSON on stderr so stdout stays for command output.
 *
 * @example
 * const log = createLogger({ level: 'debug' });
 * log.info({ app: 'blog', node: 'node-a' }, 'switched');
 */
export function createLogger(options: { level?: string; enabled?: boolean } = {}): Logger {
  return pino({ level: options.level ?? 'info', enabled: options.enabled ?? true }, pino.destination(2));
}

/** A logger that drops everything, for library callers that pass none. */
export const silentLogger: Logger = pino({ enabled: false });

import type { Readable } from 'node:stream';
import type { Clock } from '../deploy/ports.js';

/** Where text goes: process.stdout in main, a string buffer in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * Everything the CLI reads from or writes to the outside world. Only main's
 * last lines fill it from `process`; tests pass their own (Probot's
 * `run(argv, { env })`), so nothing in src/cli reads process.* itself.
 *
 * @example
 * const out: string[] = [];
 * const code = await run(['status', '--json'], { env: { SWITCHYARD_CONFIG: path }, stdout: { write: (s) => out.push(s) }, stderr });
 */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: TextSink;
  stderr: TextSink;
  /** Answers to the deploy confirmation. */
  stdin?: Readable;
  /** stdin is a terminal, so a person can confirm; without one a deploy needs --yes. */
  isTTY?: boolean;
  /** Aborted on SIGINT/SIGTERM: `serve` shuts down, a deploy in the foreground detaches. */
  signal?: AbortSignal;
  /**
   * Marks work a second Ctrl-C must not cut short (a switch finishing, the
   * sandbox's clean-up); answers the function that ends the hold. See Interrupts.
   */
  holdExit?: (what: string) => () => void;
  /** For `serve`'s resume interval (default: the system clock). */
  clock?: Clock;
}

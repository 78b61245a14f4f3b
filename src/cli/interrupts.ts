import type { TextSink } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';

/**
 * What SIGINT and SIGTERM do. The first aborts `signal`: a deploy in the
 * foreground detaches, `serve` stops, the sandbox removes what it started.
 * A later one quits at once, unless work that a hard exit would leave half
 * done is under way (a switch finishing, the sandbox deleting its network
 * namespaces): then it says what is being finished, and only the next one
 * quits, so a person who presses Ctrl-C twice out of habit loses nothing.
 *
 * @example
 * const interrupts = new Interrupts({ exit: (code) => process.exit(code), stderr: process.stderr });
 * process.on('SIGINT', () => interrupts.interrupt());
 * const release = interrupts.hold('removing the sandbox');
 * try { await removeSandbox(); } finally { release(); }
 */
export class Interrupts {
  private readonly controller = new AbortController();
  private readonly exit: (code: ExitCode) => void;
  private readonly stderr: TextSink;
  /** What is under way now; a token per hold, since two holds may say the same thing. */
  private readonly held = new Map<symbol, string>();
  /** A signal already said what is being finished: the next one quits. */
  private warned = false;

  constructor(options: { exit: (code: ExitCode) => void; stderr: TextSink }) {
    this.exit = options.exit;
    this.stderr = options.stderr;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Marks work that a second signal must not cut short; call the answer when it has ended. */
  hold(what: string): () => void {
    const token = Symbol(what);
    this.held.set(token, what);
    return () => {
      this.held.delete(token);
      if (this.held.size === 0) this.warned = false;
    };
  }

  interrupt(): void {
    if (!this.controller.signal.aborted) return this.controller.abort();
    if (this.held.size > 0 && !this.warned) {
      this.warned = true;
      this.stderr.write(`still ${[...new Set(this.held.values())].join(' and ')}: wait for it to end, or press Ctrl-C again to quit now and leave it unfinished\n`);
      return;
    }
    this.exit(EXIT.interrupted);
  }
}

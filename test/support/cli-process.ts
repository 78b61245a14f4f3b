import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One JSON line the CLI printed with --json: a deploy event, a plan, a resume report... */
export type CliLine = Record<string, unknown> & { type?: string };

/**
 * `switchyard <args> --json` as a real, separate process (tsx on the CLI's
 * source), with the sandbox's environment, so a test can SIGKILL an agent
 * at a chosen moment and start another. Started in its own process group:
 * killing it kills tsx and the node process it runs together.
 *
 * @example
 * const serve = CliProcess.start(['serve'], env.env);
 * await serve.untilLine((l) => l.type === 'resumed');
 * await serve.stop();
 */
export class CliProcess {
  readonly lines: CliLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    createInterface({ input: child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as CliLine);
      } catch {
        this.lines.push({ type: 'text', text });
      }
      for (const w of this.waiters) w();
    });
    createInterface({ input: child.stderr! }).on('line', (text) => this.stderr.push(text));
  }

  static start(args: string[], env: Record<string, string>): CliProcess {
    const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'src', 'cli', 'main.ts'), ...args, '--json'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', USER: 'e2e', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new CliProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGKILL, synchronously: called from a store listener, it lands before the agent hears back from the write it just made. */
  killNow(): void {
    for (const target of [-this.pid, this.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /**
   * SIGSTOP to its whole group: the process stays alive but runs nothing (no
   * renewal, no timer), as a process paused by the kernel, a debugger or a
   * long GC pause does; `thaw` lets it go on from exactly where it was.
   */
  freeze(): void {
    this.signalGroup('SIGSTOP');
  }

  thaw(): void {
    this.signalGroup('SIGCONT');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Resolves with the first line `match` accepts (already printed or still to come); rejects if the process ends first. */
  untilLine(match: (line: CliLine) => boolean, what = 'a matching line', timeoutMs = 30_000): Promise<CliLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.lines.find(match);
        if (!found) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => fail(`timed out waiting for ${what}`), timeoutMs);
      const fail = (why: string): void => {
        done();
        reject(new Error(`${why}; it printed:\n${this.transcript()}`));
      };
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (check()) return;
      this.waiters.add(waiter);
      void this.exited.then((code) => {
        if (this.waiters.has(waiter) && !check()) fail(`switchyard exited (${code}) before ${what}`);
      });
    });
  }

  /**
   * Asks it to stop (SIGTERM, as a service manager would), then kills it if it lingers.
   * The signal goes to the node process tsx runs the CLI in: tsx's own relay
   * gives up and SIGKILLs a child that does not answer within 30 ms, which a
   * loaded machine sometimes cannot.
   */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    try {
      process.kill(this.cliPid(), 'SIGTERM');
    } catch {
      return this.exited;
    }
    const timer = setTimeout(() => this.killNow(), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    // Whatever it left in its group (tsx's node child) goes too.
    this.killNow();
    return code;
  }

  /** The node process running the CLI under tsx (tsx's only child), or tsx itself when that cannot be told. */
  private cliPid(): number {
    try {
      const children = readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').trim().split(/\s+/);
      return children.length === 1 && children[0] ? Number(children[0]) : this.pid;
    } catch {
      return this.pid;
    }
  }

  /** What it printed, for failure messages. */
  transcript(): string {
    return [...this.lines.map((l) => JSON.stringify(l)), ...this.stderr.slice(-20)].join('\n').slice(-6000);
  }
}

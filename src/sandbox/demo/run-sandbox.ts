import { EXIT, type ExitCode } from '../../cli/exit-codes.js';
import { asSwitchyardError } from '../../errors/switchyard-error.js';
import { DemoOutput, type TextSink } from './demo-output.js';
import { ensurePrerequisites, type PrerequisiteDeps } from './ensure-prerequisites.js';
import { Interrupted } from './interruptible.js';
import { SandboxDemo, type SandboxDemoOptions } from './sandbox-demo.js';

export interface RunSandboxOptions extends SandboxDemoOptions {
  out: TextSink;
  err: TextSink;
  /** Ctrl-C / SIGTERM: stops whatever runs and removes everything the sandbox started. */
  signal?: AbortSignal;
  /**
   * Marks the sandbox's life, from starting its nodes to removing them, as
   * work a second Ctrl-C must not cut short (it would leave namespaces and
   * processes behind); answers the function that ends the hold.
   */
  holdExit?: (what: string) => () => void;
  /** One JSON object per line instead of text. */
  json?: boolean;
  /** The prerequisite check and package installer (the real ones by default). */
  prerequisites?: PrerequisiteDeps;
}

/**
 * `switchyard sandbox`: switchyard on this machine, end to end. Checks (and
 * as root on Debian installs) what real nodes need, starts the stand-in
 * cluster, EC2 and Slack with real nginx + sshd nodes, and serves the agent
 * as `switchyard serve` does (Slack and the HTTP API loaded). Then CI starts
 * blog 2.0.0 through the API and follows its events, alice presses Start and
 * bob Promote in Slack, carol rolls it back with `/deploy rollback blog`,
 * all under continuous load, and it prints what each node's nginx answers
 * before and after and every version of the deploy messages (see SandboxDemo).
 * Whatever happens (success, failure, the signal), everything it started is
 * removed before it returns. Answers the CLI's exit code: 0 only when every
 * step went as expected, 1 when one did not (or this machine lacks what it
 * needs), 130 when interrupted.
 *
 * @example
 * const stop = new AbortController();
 * process.once('SIGINT', () => stop.abort());
 * process.exitCode = await runSandbox({ out: process.stdout, err: process.stderr, signal: stop.signal });
 */
export async function runSandbox(options: RunSandboxOptions): Promise<ExitCode> {
  const o = new DemoOutput({ out: options.out, err: options.err, json: options.json ?? false });
  const signal = options.signal ?? new AbortController().signal;
  o.say('switchyard sandbox: a blue/green deploy on this machine, through real nginx and OpenSSH nodes', '');
  if (!(await ensurePrerequisites(o, signal, options.prerequisites))) return signal.aborted ? interrupted(o, []) : EXIT.failed;
  if (signal.aborted) return interrupted(o, []);

  const release = options.holdExit?.("removing the sandbox's nodes, network namespaces and processes");
  const demo = new SandboxDemo(o, signal, options);
  let outcome: { problems: string[] } | { err: unknown };
  let leftovers: string[];
  try {
    outcome = await demo.run().then(
      (problems) => ({ problems }),
      (err: unknown) => ({ err }),
    );
    leftovers = await demo.close();
  } finally {
    release?.();
  }
  if (leftovers.length > 0) {
    o.warn(`error: these are still there after removing the sandbox: ${leftovers.join(', ')} — remove them by hand (ip netns del, kill, rm -r)`);
  }
  if ('err' in outcome) {
    if (outcome.err instanceof Interrupted || signal.aborted) return interrupted(o, leftovers);
    const e = asSwitchyardError(outcome.err);
    o.step({ type: 'result', ok: false, problems: [e.message], leftovers });
    o.warn(`error: ${e.toLine()}`);
    return EXIT.failed;
  }
  const problems = [...outcome.problems, ...leftovers.map((l) => `left behind: ${l}`)];
  if (problems.length === 0) {
    o.step({ type: 'result', ok: true, problems, leftovers }, '', 'Everything went as expected.');
    return EXIT.ok;
  }
  o.step({ type: 'result', ok: false, problems, leftovers }, '', 'Not as expected:', ...problems.map((p) => `  - ${p}`));
  o.warn(`error: the sandbox did not go as expected: ${problems.join('; ')}`);
  return EXIT.failed;
}

function interrupted(o: DemoOutput, leftovers: string[]): ExitCode {
  o.step({ type: 'interrupted', leftovers }, '', 'Interrupted.');
  return EXIT.interrupted;
}

#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { buildProgram, commanderExit } from './build-program.js';
import type { CliIo } from './cli-io.js';
import { COMMANDS } from './commands.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { Interrupts } from './interrupts.js';

export type { CliIo } from './cli-io.js';
export { EXIT, EXIT_CODE_TABLE, exitCodeFor, type ExitCode } from './exit-codes.js';

/**
 * Runs `switchyard` with the words after the program name and answers with
 * the exit code. Reads and writes only through `io`, so tests drive it with
 * captured output and an env of their own.
 *
 * @example
 * const code = await run(['deploy', 'blog', '20151025.143403', '--yes'], {
 *   env: { SWITCHYARD_CONFIG: 'config/switchyard.yaml', USER: 'alice' },
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * });
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(io, COMMANDS, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, io);
    throw err;
  }
  return code;
}

/** True when this file is the program node started (also through npm's bin symlink), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // The AWS SDK version is pinned on purpose (later ones need Node 22); its
  // seven-line notice on every command would bury switchyard's one-line output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The only place that touches process: the first signal is one abort, a second quits unless a clean-up is holding it.
  const interrupts = new Interrupts({ exit: (code) => process.exit(code), stderr: process.stderr });
  const onSignal = (): void => interrupts.interrupt();
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const io: CliIo = {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isTTY: process.stdin.isTTY === true,
    signal: interrupts.signal,
    holdExit: (what) => interrupts.hold(what),
  };
  process.exit(await run(process.argv.slice(2), io));
}

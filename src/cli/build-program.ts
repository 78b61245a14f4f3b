import { Command, Option, type CommanderError } from 'commander';
import { CONFIG_ENV, DEFAULT_CONFIG_PATH } from '../config/load-config.js';
import type { CliIo } from './cli-io.js';
import type { CliCommand, CommandContext } from './cli-command.js';
import { CliSession, LOG_LEVELS, type GlobalOptions } from './cli-session.js';
import { EXIT, exitCodeHelp, type ExitCode } from './exit-codes.js';

const PROGRAM_HELP = `
Examples:
  $ switchyard status                          every app: live colour, nodes, in-flight deploy
  $ switchyard plan blog 20151025.143403       what a deploy would do, touching nothing
  $ switchyard deploy blog 20151025.143403     deploy in the foreground, live progress
  $ switchyard promote blog                    let a deploy waiting in verification switch
  $ switchyard serve                           run the agent: resume deploys, until Ctrl-C
  $ SWITCHYARD_CONFIG=/etc/switchyard.yaml switchyard status blog --json

Environment:
  ${CONFIG_ENV}   the config file when --config is not given (default ${DEFAULT_CONFIG_PATH})

${exitCodeHelp()}
`;

/**
 * Builds a fresh `switchyard` program for one run (commander keeps parse
 * state on the Command, so it is never shared between runs). Output goes to
 * the io, never to process streams, and commander never exits the process:
 * its errors come back as a CommanderError that `run` turns into one line.
 *
 * @example
 * let code = EXIT.ok;
 * const program = buildProgram(io, COMMANDS, (c) => (code = c));
 * await program.parseAsync(['status'], { from: 'user' });
 */
export function buildProgram(io: CliIo, commands: readonly CliCommand[], setExit: (code: ExitCode) => void): Command {
  const program = new Command('switchyard')
    .description('Blue/green deploys: switch nginx on every node between the two colours of an app')
    .addOption(new Option('-c, --config <file>', `config file (default: $${CONFIG_ENV} or ${DEFAULT_CONFIG_PATH})`))
    .option('--json', 'machine-readable output: one JSON document, or JSON lines of events (deploy, rollback, promote, abort, serve)')
    .addOption(new Option('--log-level <level>', 'structured log on stderr at this level (default: off; info for serve)').choices(LOG_LEVELS))
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // run() prints commander's errors itself, as one line.
      outputError: () => undefined,
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', PROGRAM_HELP);

  const context: CommandContext = {
    action:
      (fn, options = {}) =>
      async (...args: unknown[]) => {
        const command = args.at(-1) as Command;
        const positional = args.slice(0, command.registeredArguments.length) as string[];
        const session = new CliSession(io, command.optsWithGlobals<GlobalOptions>(), { logByDefault: options.logByDefault ?? false });
        try {
          setExit(await fn(session, positional, command.opts()));
        } catch (err) {
          setExit(session.fail(err));
        } finally {
          await session.close();
        }
      },
  };
  for (const register of commands) register(program, context);
  return program;
}

/** Commander's own errors (unknown command, missing argument, bad option) as one line and an exit code. */
export function commanderExit(err: CommanderError, io: CliIo): ExitCode {
  if (err.exitCode === 0) return EXIT.ok;
  if (err.code === 'commander.help') return EXIT.usage; // no command given: the help went to stderr
  const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  io.stderr.write(`error: ${message} — see: switchyard --help\n`);
  return EXIT.usage;
}

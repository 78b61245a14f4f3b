import type { Command } from 'commander';
import type { CliSession } from './cli-session.js';
import type { ExitCode } from './exit-codes.js';

/**
 * What a command does once commander has parsed it: its positional
 * arguments, its own options, and a session holding the global options,
 * output and agents. It answers with the exit code; a throw becomes one line
 * on stderr and the exit code of the error's kind.
 */
export type CommandAction = (session: CliSession, args: string[], options: Record<string, unknown>) => Promise<ExitCode>;

/** Handed to each command when it registers: wraps its action with sessions, errors and exit codes. */
export interface CommandContext {
  /** `logByDefault`: structured log on stderr at info level even without --log-level (serve). */
  action(fn: CommandAction, options?: { logByDefault?: boolean }): (...args: unknown[]) => Promise<void>;
}

/**
 * One `switchyard` subcommand: adds itself (arguments, options, help with
 * examples) to the program. The program's command list is in commands.ts.
 *
 * @example
 * export const nodesCommand: CliCommand = (program, cli) => {
 *   program.command('nodes').description('discovered nodes and whether each is reachable')
 *     .addHelpText('after', examples('switchyard nodes'))
 *     .action(cli.action(async (session) => { ...; return EXIT.ok; }));
 * };
 */
export type CliCommand = (program: Command, cli: CommandContext) => void;

/** The "Examples:" block every command's help ends with. */
export const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

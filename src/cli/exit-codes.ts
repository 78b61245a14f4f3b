import { ERROR_TABLE, EXIT, type ExitCode } from '../errors/error-table.js';
import type { SwitchyardError } from '../errors/switchyard-error.js';

export { EXIT, type ExitCode };

/** What each exit code means, for `--help` and the README. */
export const EXIT_CODE_TABLE: readonly { code: ExitCode; meaning: string }[] = [
  { code: EXIT.ok, meaning: 'success' },
  { code: EXIT.failed, meaning: 'the deploy or rollback failed, was aborted or was rolled back (or a confirmation was declined)' },
  { code: EXIT.usage, meaning: 'usage error or invalid input: unknown command or app, bad version, nothing to promote' },
  { code: EXIT.config, meaning: 'config file missing or invalid (the message names the key path)' },
  { code: EXIT.lockHeld, meaning: 'another deploy of the app is in flight (the message says who holds it and its phase)' },
  { code: EXIT.unreachable, meaning: 'the cluster, the fleet or discovery could not be reached' },
  { code: EXIT.frozen, meaning: 'a freeze window refuses deploys of the app now (the message names it and when it ends); rollbacks still run' },
  { code: EXIT.drift, meaning: '`check` found drift: nodes that disagree with each other or with the record, or whose colour cannot be told' },
  { code: EXIT.interrupted, meaning: 'interrupted (Ctrl-C): a deploy in flight stays recorded in the cluster and is resumed later' },
];

/** The table as `--help` prints it. */
export const exitCodeHelp = (): string =>
  ['Exit codes:', ...EXIT_CODE_TABLE.map((e) => `  ${String(e.code).padStart(3)}  ${e.meaning}`)].join('\n');

/** The exit code of a failure, from the one table of error codes (src/errors/error-table.ts). */
export const exitCodeFor = (err: SwitchyardError): ExitCode => ERROR_TABLE[err.code].exit;

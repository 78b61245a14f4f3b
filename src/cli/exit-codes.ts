import type { ErrorCode, SwitchyardError } from '../errors/switchyard-error.js';

/**
 * The CLI's exit codes, one table for the code, `--help` and the README, so
 * scripts can tell "try again later" (4, 5) from "fix your input" (2, 3).
 *
 * @example
 * if (result.record?.phase !== 'done') return EXIT.failed;
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  config: 3,
  lockHeld: 4,
  unreachable: 5,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_TABLE: readonly { code: ExitCode; meaning: string }[] = [
  { code: EXIT.ok, meaning: 'success' },
  { code: EXIT.failed, meaning: 'the deploy or rollback failed, was aborted or was rolled back (or a confirmation was declined)' },
  { code: EXIT.usage, meaning: 'usage error or invalid input: unknown command or app, bad version, nothing to promote' },
  { code: EXIT.config, meaning: 'config file missing or invalid (the message names the key path)' },
  { code: EXIT.lockHeld, meaning: 'another deploy of the app is in flight (the message says who holds it and its phase)' },
  { code: EXIT.unreachable, meaning: 'the cluster, the fleet or discovery could not be reached' },
  { code: EXIT.interrupted, meaning: 'interrupted (Ctrl-C): a deploy in flight stays recorded in the cluster and is resumed later' },
];

/** The table as `--help` prints it. */
export const exitCodeHelp = (): string =>
  ['Exit codes:', ...EXIT_CODE_TABLE.map((e) => `  ${String(e.code).padStart(3)}  ${e.meaning}`)].join('\n');

/**
 * Error codes whose exit code is not "failed". Partial on purpose: a code
 * added later for a new failure exits 1 until someone decides otherwise.
 */
const BY_ERROR: Partial<Record<ErrorCode, ExitCode>> = {
  'input-invalid': EXIT.usage,
  'not-authorised': EXIT.usage,
  'config-missing': EXIT.config,
  'config-invalid': EXIT.config,
  'lock-held': EXIT.lockHeld,
  'kube-api-failed': EXIT.unreachable,
  'kube-not-found': EXIT.unreachable,
  'kube-conflict': EXIT.unreachable,
  'kube-preflight-failed': EXIT.unreachable,
  'discovery-failed': EXIT.unreachable,
  'ssh-connect-failed': EXIT.unreachable,
  'ssh-auth-failed': EXIT.unreachable,
  'ssh-host-key-unknown': EXIT.unreachable,
  'ssh-host-key-mismatch': EXIT.unreachable,
  'ssh-command-timeout': EXIT.unreachable,
};

export const exitCodeFor = (err: SwitchyardError): ExitCode => BY_ERROR[err.code] ?? EXIT.failed;

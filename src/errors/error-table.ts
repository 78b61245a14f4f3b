import type { ErrorCode } from './switchyard-error.js';

/**
 * The CLI's exit codes, so scripts can tell "try again later" (4, 5) from
 * "fix your input" (2, 3).
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  config: 3,
  lockHeld: 4,
  unreachable: 5,
  frozen: 6,
  drift: 7,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface Rendering {
  /** What the CLI exits with. */
  exit: ExitCode;
  /** What the HTTP API answers with. */
  http: number;
}

const input: Rendering = { exit: EXIT.usage, http: 400 };
const unreachable: Rendering = { exit: EXIT.unreachable, http: 503 };
const failed: Rendering = { exit: EXIT.failed, http: 500 };

/**
 * Every error code's exit code and HTTP status, in one table: both front ends
 * derive theirs from it, and a new code does not compile until it is placed.
 *
 * @example
 * ERROR_TABLE['lock-held']; // { exit: 4, http: 409 }
 */
export const ERROR_TABLE: Record<ErrorCode, Rendering> = {
  'config-invalid': { exit: EXIT.config, http: 500 },
  'config-missing': { exit: EXIT.config, http: 500 },
  'input-invalid': input,
  'payload-too-large': { exit: EXIT.usage, http: 413 },
  'unsupported-media-type': { exit: EXIT.usage, http: 415 },
  'route-unknown': { exit: EXIT.usage, http: 404 },
  'method-not-allowed': { exit: EXIT.usage, http: 405 },
  'app-unknown': { exit: EXIT.usage, http: 404 },
  'deploy-unknown': { exit: EXIT.usage, http: 404 },
  'wrong-phase': { exit: EXIT.usage, http: 409 },
  'idempotency-conflict': { exit: EXIT.usage, http: 422 },
  unauthenticated: { exit: EXIT.usage, http: 401 },
  'not-authorised': { exit: EXIT.usage, http: 403 },
  'lock-held': { exit: EXIT.lockHeld, http: 409 },
  // 423 Locked, not lock-held's 409: CI can tell a freeze (hours; override or wait for Retry-After) from a deploy in flight (minutes).
  'deploy-frozen': { exit: EXIT.frozen, http: 423 },
  'not-leader': unreachable,
  'ssh-connect-failed': unreachable,
  'ssh-auth-failed': unreachable,
  'ssh-host-key-unknown': unreachable,
  'ssh-host-key-mismatch': unreachable,
  'ssh-command-timeout': unreachable,
  'ssh-command-failed': failed,
  'upstream-invalid': failed,
  'upstream-missing': failed,
  'fleet-disagrees': { exit: EXIT.failed, http: 409 },
  'fleet-drift': { exit: EXIT.drift, http: 409 },
  'switch-prepare-failed': failed,
  'switch-commit-failed': failed,
  'kube-api-failed': unreachable,
  'kube-conflict': unreachable,
  'kube-not-found': unreachable,
  'kube-preflight-failed': unreachable,
  'discovery-failed': unreachable,
  'pods-not-ready': failed,
  'deploy-failed': failed,
  'deploy-aborted': failed,
  'slack-api-failed': { exit: EXIT.unreachable, http: 502 },
  internal: failed,
};

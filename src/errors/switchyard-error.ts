/**
 * The one error type that reaches people. Adapters wrap what Kubernetes, SSH,
 * AWS and Slack throw into one of these, naming the system and the object, so
 * a user never sees a raw response body.
 *
 * @example
 * throw new SwitchyardError('ssh-host-key-mismatch', `host key of node-a (10.0.0.5) changed`, {
 *   hint: 'if the node was rebuilt, update known_hosts; otherwise treat it as an attack',
 * });
 */
export type ErrorCode =
  | 'config-invalid'
  | 'config-missing'
  | 'input-invalid'
  | 'payload-too-large'
  /** An HTTP request whose body is not JSON. */
  | 'unsupported-media-type'
  /** An HTTP path the API does not serve, or serves with other methods. */
  | 'route-unknown'
  | 'method-not-allowed'
  | 'app-unknown'
  | 'deploy-unknown'
  /** A promote, abort or start that does not apply to the deploy's phase (nothing in flight, too late). */
  | 'wrong-phase'
  /** An Idempotency-Key reused for a different request. */
  | 'idempotency-conflict'
  | 'unauthenticated'
  | 'ssh-connect-failed'
  | 'ssh-auth-failed'
  | 'ssh-host-key-unknown'
  | 'ssh-host-key-mismatch'
  | 'ssh-command-failed'
  | 'ssh-command-timeout'
  | 'upstream-invalid'
  | 'upstream-missing'
  | 'fleet-disagrees'
  /** `switchyard check` found nodes that disagree with each other or with the record. */
  | 'fleet-drift'
  | 'switch-prepare-failed'
  | 'switch-commit-failed'
  | 'kube-api-failed'
  | 'kube-conflict'
  | 'kube-not-found'
  | 'kube-preflight-failed'
  | 'pods-not-ready'
  | 'lock-held'
  /** A deploy asked for during a freeze window, without an override. */
  | 'deploy-frozen'
  /** A write sent to an agent that does not lead (another does, or none yet): try again, it may reach the leader. */
  | 'not-leader'
  | 'discovery-failed'
  | 'deploy-failed'
  | 'deploy-aborted'
  | 'not-authorised'
  | 'slack-api-failed'
  | 'internal';

export interface ErrorOptions {
  /** What the person should do next, one sentence. */
  hint?: string;
  cause?: unknown;
  /** Structured detail for the log (never shown raw to a user). */
  details?: Record<string, unknown>;
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  /** One line for the CLI and Slack: what failed, where, and what to do next. */
  toLine(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }

  /** Body for the HTTP API. */
  toJSON(): { error: { code: ErrorCode; message: string; hint?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) } };
  }
}

/** Wraps anything thrown into a SwitchyardError, keeping one that already is. */
export function asSwitchyardError(err: unknown, fallback: ErrorCode = 'internal'): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchyardError(fallback, message, { cause: err });
}

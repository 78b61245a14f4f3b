import { ApiException } from '@kubernetes/client-node';
import { SwitchyardError, type ErrorCode } from '../errors/switchyard-error.js';
import { colourName, type ColourRef } from './colour-names.js';

/**
 * Wraps what @kubernetes/client-node throws (ApiException with the Status
 * body, or a network error) into a SwitchyardError naming the action, the
 * object and the API's answer (code and reason, and the Status message cut
 * short) — never the raw response body.
 *
 * @example
 * try { await kube.apps.createNamespacedReplicaSet({ namespace, body }); }
 * catch (err) { throw kubeError(err, 'create', `ReplicaSet blog/blog-green`); }
 */
export function kubeError(err: unknown, action: string, object: string): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const code = statusCode(err);
  if (code === undefined && isTimeout(err)) {
    return new SwitchyardError('kube-api-failed', `cannot ${action} ${object}: the Kubernetes API did not answer in time`, {
      hint: 'the API server is overloaded or the connection to it hangs; check its health, then try again',
      cause: err,
    });
  }
  if (code === undefined) {
    const said = shorten(err instanceof Error ? err.message : String(err));
    const network = (err as { code?: unknown } | null)?.code;
    if (typeof network === 'string') {
      return new SwitchyardError('kube-api-failed', `cannot ${action} ${object}: the Kubernetes API could not be reached (${network}): ${said}`, {
        hint: 'check that the cluster is up and that the kubeconfig (or kubernetes.context) points at it',
        cause: err,
      });
    }
    // No answer and no network error: the client refused to send the request (what it
    // makes of the kubeconfig), and only its own words say why.
    return new SwitchyardError('kube-api-failed', `cannot ${action} ${object}: the Kubernetes client did not send the request: ${said}`, {
      hint: "check the kubeconfig's cluster and user (server URL, certificates, credentials)",
      cause: err,
    });
  }
  const status = statusBody(err);
  const reason = typeof status?.reason === 'string' ? ` ${status.reason}` : '';
  const said = typeof status?.message === 'string' ? `: ${shorten(status.message)}` : '';
  const errorCode: ErrorCode = code === 404 ? 'kube-not-found' : code === 409 ? 'kube-conflict' : 'kube-api-failed';
  return new SwitchyardError(errorCode, `cannot ${action} ${object}: the Kubernetes API answered ${code}${reason}${said}`, {
    hint: HINTS[code] ?? (code >= 500 ? 'the API server had a problem; try again, and check its health if it persists' : 'see the agent log for details'),
    cause: err,
    details: { status: code, ...(status?.reason ? { reason: status.reason } : {}) },
  });
}

/** A list/watch failure on a colour's ReplicaSet and pods, naming the colour. */
export const colourWatchError = (err: unknown, ref: ColourRef): SwitchyardError =>
  kubeError(err, 'watch', `ReplicaSet and pods of ${ref.namespace}/${colourName(ref.app, ref.colour)}`);

const HINTS: Record<number, string> = {
  401: 'the credentials in the kubeconfig were refused; renew them',
  403: "switchyard's service account lacks a permission (RBAC); grant it for this namespace",
  404: 'check the app\'s namespace in the config, and that the object exists',
  409: 'someone changed it at the same time; try again',
  410: 'the watch fell too far behind; it is re-listed automatically',
  422: 'the object was refused as invalid; check the app template',
  429: 'the API server is rate limiting; try again shortly',
};

/**
 * The HTTP status of an ApiException, of a watch the server refused (an Error
 * with statusCode), or of a watch stream's ERROR event (a Status object);
 * undefined for network errors.
 */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (isStatus(err)) return err.code;
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

const isStatus = (v: unknown): v is { kind: 'Status'; code: number; reason?: unknown; message?: unknown } =>
  typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status' && typeof (v as { code?: unknown }).code === 'number';

/** The request's deadline (kube-clients' requestTimeoutMs) passed: node-fetch rejects with an AbortError. */
const isTimeout = (err: unknown): boolean => err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

function statusBody(err: unknown): { reason?: unknown; message?: unknown } | undefined {
  if (isStatus(err)) return err;
  const body = err instanceof ApiException ? (err.body as unknown) : undefined;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as { reason?: unknown; message?: unknown };
    } catch {
      return undefined;
    }
  }
  return typeof body === 'object' && body !== null ? (body as { reason?: unknown; message?: unknown }) : undefined;
}

const shorten = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s).replace(/\s+/g, ' ');

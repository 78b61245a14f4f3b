import { KubeStatusError, type StatusCause } from './kube-object.js';

/**
 * The query of a list or watch, read the way kube-apiserver reads it
 * (apimachinery's `Convert_Slice_string_To_bool` and `ValidateListOptions`).
 * A flag is false only when absent, `0` or `false` in any case; anything
 * else, `True`, `1` and even an empty value included, turns it on. So the
 * `watch=True` a Python client sends starts a watch, and `watch=no` does too.
 *
 * @example
 * parseListOptions(new URLSearchParams('watch=True&timeoutSeconds=30')); // { watch: true, timeoutSeconds: 30, ... }
 */
export interface ListOptions {
  watch: boolean;
  allowWatchBookmarks: boolean;
  labelSelector: string | undefined;
  fieldSelector: string | undefined;
  resourceVersion: string | undefined;
  timeoutSeconds: number | undefined;
}

export function queryFlag(q: URLSearchParams, name: string): boolean | undefined {
  const value = q.get(name);
  if (value === null) return undefined;
  return value !== '0' && value.toLowerCase() !== 'false';
}

/** Go's strconv.ParseInt, whose error kube-apiserver answers as a 400. */
function int64(q: URLSearchParams, name: string): number | undefined {
  const value = q.get(name);
  if (value === null) return undefined;
  if (!/^[+-]?\d+$/.test(value)) throw new KubeStatusError(400, 'BadRequest', `strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  return Number(value);
}

function forbidden(field: string, why: string): StatusCause {
  return { field, reason: 'FieldValueForbidden', message: `Forbidden: ${why}` };
}

function notSupported(field: string, value: string, supported: string[]): StatusCause {
  return { field, reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` };
}

/**
 * `ValidateListOptions` with the WatchList feature gate off, as every
 * 1.27–1.31 server runs by default: the stand-in does not stream initial
 * events, so it refuses `sendInitialEvents` the way such a server does.
 */
function validate(q: URLSearchParams, watch: boolean): StatusCause[] {
  const match = q.get('resourceVersionMatch') ?? '';
  const sendInitialEvents = queryFlag(q, 'sendInitialEvents');
  const hasContinue = (q.get('continue') ?? '') !== '';
  const causes: StatusCause[] = [];
  if (watch) {
    if (sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan') causes.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
      causes.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
    }
    if (match !== '') {
      if (sendInitialEvents === undefined) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') causes.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (hasContinue) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    return causes;
  }
  if (match !== '') {
    const rv = q.get('resourceVersion') ?? '';
    if (rv === '') causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (hasContinue) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') causes.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && rv === '0') causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (sendInitialEvents !== undefined) causes.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return causes;
}

export function parseListOptions(q: URLSearchParams): ListOptions {
  const watch = queryFlag(q, 'watch') ?? false;
  const options: ListOptions = {
    watch,
    allowWatchBookmarks: queryFlag(q, 'allowWatchBookmarks') ?? false,
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    timeoutSeconds: int64(q, 'timeoutSeconds'),
  };
  // Read only to refuse what the real server refuses: the stand-in answers every list in one page.
  int64(q, 'limit');
  const causes = validate(q, watch);
  if (causes.length > 0) {
    throw new KubeStatusError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes,
    });
  }
  return options;
}

/** `?pretty=` is read with Go's strconv.ParseBool, and a value it cannot read means false; without one, curl, Wget and browsers get indented JSON. */
export function isPrettyPrint(q: URLSearchParams, userAgent: string | undefined): boolean {
  const pretty = q.get('pretty');
  if (pretty) return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(pretty);
  return /^(curl|Wget|Mozilla\/5\.0)/.test(userAgent ?? '');
}

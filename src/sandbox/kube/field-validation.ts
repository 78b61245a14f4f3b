import { definition, type FieldType } from './api-schema.js';
import type { PatchType } from './apply-patch.js';
import { KubeStatusError } from './kube-object.js';

/**
 * `?fieldValidation=` on create, update and patch, as kube-apiserver applies
 * it: a field the kind does not have is dropped silently (Ignore), dropped
 * with a `Warning` header (Warn, the default), or refused (Strict, what
 * kubectl sends since 1.27). The real server decodes into its Go types; the
 * stand-in walks the same schema it publishes in /openapi.
 *
 * @example
 * const warnings: string[] = [];
 * const rs = decodeBody(body, 'io.k8s.api.apps.v1.ReplicaSet', 'ReplicaSet', parseFieldValidation(q, 'CreateOptions'), warnings);
 * // a typo `spec.replica`: refused when Strict, else dropped (and warned about when Warn)
 */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseFieldValidation(q: URLSearchParams, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): FieldValidation {
  const value = q.get('fieldValidation') ?? '';
  if (value === '') return 'Warn';
  if (value === 'Ignore' || value === 'Warn' || value === 'Strict') return value;
  const message = `Unsupported value: ${JSON.stringify(value)}: supported values: "", "Ignore", "Strict", "Warn"`;
  throw new KubeStatusError(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: fieldValidation: ${message}`, {
    group: 'meta.k8s.io',
    kind: options,
    causes: [{ field: 'fieldValidation', reason: 'FieldValueNotSupported', message }],
  });
}

function prune(value: Json, t: FieldType | undefined, path: string, unknown: string[]): Json {
  if (!t) return value;
  if ('ref' in t) {
    const def = definition(t.ref);
    if (def.scalar || !isObject(value)) return value;
    const kept: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      const field = `${path}${path ? '.' : ''}${k}`;
      const property = def.properties[k];
      if (property) kept[k] = prune(v, property, field, unknown);
      else unknown.push(field);
    }
    return kept;
  }
  if ('array' in t) return Array.isArray(value) ? value.map((item, i) => prune(item, t.array, `${path}[${i}]`, unknown)) : value;
  if ('map' in t) return isObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, prune(v, t.map, `${path}[${k}]`, unknown)])) : value;
  return value;
}

/** A copy of `value` without the fields its definition does not have, and their paths in document order. */
function dropUnknownFields(value: Json, schema: string): { value: Json; unknown: string[] } {
  const unknown: string[] = [];
  return { value: prune(value, { ref: schema }, '', unknown), unknown };
}

const unknownField = (f: string) => `unknown field ${JSON.stringify(f)}`;
const strictDecodingError = (unknown: string[]): string => `strict decoding error: ${unknown.map(unknownField).join(', ')}`;

/** A `Warning` header value as kube-apiserver writes it (code 299, no agent). */
export const warningHeader = (text: string): string => `299 - ${JSON.stringify(text)}`;

/** The body of a create or update, decoded as `kind`: unknown fields dropped, warned about in `warnings`, or refused with a 400. */
export function decodeBody(body: Json, schema: string, kind: string, validation: FieldValidation, warnings: string[]): Json {
  const { value, unknown } = dropUnknownFields(body, schema);
  if (unknown.length === 0) return body;
  if (validation === 'Strict') throw new KubeStatusError(400, 'BadRequest', `${kind} in version "v1" cannot be handled as a ${kind}: ${strictDecodingError(unknown)}`);
  if (validation === 'Warn') warnings.push(...unknown.map(unknownField));
  return value;
}

/**
 * A patched object, decoded the same way; a strict refusal is the 422 the
 * patch handler answers, quoting the patch (Go's `%+v` of a map) for a
 * strategic merge patch and the patched object's JSON otherwise.
 */
export function decodePatched(patched: Json, patch: Json, type: PatchType, schema: string, validation: FieldValidation, warnings: string[]): Json {
  const { value, unknown } = dropUnknownFields(patched, schema);
  if (unknown.length === 0) return patched;
  if (validation === 'Strict') {
    const quoted = type === 'application/strategic-merge-patch+json' ? goValue(patch) : sortedJson(patched);
    const message = `Invalid value: ${JSON.stringify(quoted)}: ${strictDecodingError(unknown)}`;
    throw new KubeStatusError(422, 'Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ field: 'patch', reason: 'FieldValueInvalid', message }] });
  }
  if (validation === 'Warn') warnings.push(...unknown.map(unknownField));
  return value;
}

/** JSON with every object's keys sorted, as Go's encoding/json writes a map. */
function sortedJson(v: Json): string {
  const sort = (x: Json): Json => (Array.isArray(x) ? x.map(sort) : isObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort(x[k])])) : x);
  return JSON.stringify(sort(v));
}

/** Go's `%+v` of decoded JSON: `map[k:v ...]` with sorted keys, `[a b]`, `<nil>`, and float64 as %g writes it (1e+06). */
function goValue(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  if (v === null) return '<nil>';
  if (typeof v === 'number' && v !== 0) {
    const exponent = Math.floor(Math.log10(Math.abs(v)));
    if (exponent < -4 || exponent >= 6) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(v);
}

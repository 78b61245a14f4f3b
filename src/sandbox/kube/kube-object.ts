/**
 * The shapes the stand-in API server stores and the errors it answers with.
 * Objects are plain JSON, as on the wire; the store adds metadata the way the
 * real API server does (uid, resourceVersion, creationTimestamp, generation).
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'Expired'
  | 'Gone'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'InternalError';

export interface StatusCause {
  field: string;
  message: string;
  reason?: string;
}

/** A `Status` answer (404, 409, 422 ...) as the real API server sends it. */
export class KubeStatusError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };

  constructor(code: number, reason: StatusReason, message: string, details: KubeStatusError['details'] = {}) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      details: this.details,
      code: this.code,
    };
  }
}

export const clone = <T>(value: T): T => structuredClone(value);

/** JSON with sorted keys, so two objects that differ only in key order compare equal (as their Go structs would). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

export const sameContent = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

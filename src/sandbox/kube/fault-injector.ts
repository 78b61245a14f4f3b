import { KubeStatusError, type StatusReason } from './kube-object.js';

export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** The next `times` requests with this verb on this resource answer `status` instead of being served. */
export interface FaultRule {
  verb: KubeVerb;
  /** Plural resource name, e.g. `replicasets`, `configmaps`. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  status: number;
  times?: number;
}

const REASONS: Record<number, StatusReason> = {
  404: 'NotFound',
  409: 'Conflict',
  410: 'Gone',
  422: 'Invalid',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

export interface RequestTarget {
  verb: KubeVerb;
  /** API group ('' for the core group). */
  group: string;
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/**
 * Fault injection for the stand-in API server: tests make the API answer 500
 * on a create, 409 on a state write, and so on, to prove the code above
 * recovers or fails cleanly.
 *
 * @example
 * standIn.faults.add({ verb: 'create', resource: 'replicasets', status: 500, times: 1 });
 */
export class FaultInjector {
  private rules: (FaultRule & { left: number })[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** Faults that were set and not yet used. */
  get pending(): number {
    return this.rules.reduce((n, r) => n + r.left, 0);
  }

  /** The error to answer with, consuming one use of the first matching rule. */
  take(target: RequestTarget): KubeStatusError | undefined {
    const rule = this.rules.find(
      (r) =>
        r.left > 0 &&
        r.verb === target.verb &&
        r.resource === target.resource &&
        (r.namespace === undefined || r.namespace === target.namespace) &&
        (r.name === undefined || r.name === target.name) &&
        (r.subresource ?? undefined) === target.subresource,
    );
    if (!rule) return undefined;
    rule.left -= 1;
    this.rules = this.rules.filter((r) => r.left > 0);
    const reason = REASONS[rule.status] ?? 'InternalError';
    const what = `${target.resource}${target.name ? ` ${JSON.stringify(target.name)}` : ''}`;
    const message =
      reason === 'Conflict'
        ? `Operation cannot be fulfilled on ${what}: the object has been modified; please apply your changes to the latest version and try again`
        : `Internal error occurred: injected fault on ${target.verb} ${what}`;
    return new KubeStatusError(rule.status, reason, message, { ...(target.name ? { name: target.name } : {}), kind: target.resource });
  }
}

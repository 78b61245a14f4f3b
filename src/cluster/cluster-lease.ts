import { randomUUID } from 'node:crypto';
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/** Who holds a Lease, as this agent sees it. */
export interface LeaseHolderView {
  /** The holder's configured identity: the part people read ('' for nobody). */
  identity: string;
  /** Which process of that identity holds it (see ClusterLeaseOptions.instance). */
  instance: string | null;
  acquiredAt: Date | null;
  /** As the holder's clock wrote it: shown to people, never used to judge expiry. */
  renewedAt: Date | null;
  durationSeconds: number;
  /** Seen unchanged by this agent for its whole duration: this agent may take it over. */
  expired: boolean;
  /** When this agent may take it over, by its own observation. */
  expiresInSeconds: number;
  /**
   * Not renewed for over half its duration by this machine's clock, while a
   * live holder renews every third: it missed a renewal, and is likely gone
   * (killed, cut off). For people only; expiry never reads another clock.
   */
  looksDead: boolean;
  /** The lease's fencing token (its leaseTransitions). */
  fence: number;
}

/** A Lease as read, with when this agent first saw it as it is now. */
export interface ObservedLease {
  lease: V1Lease;
  /** monotonicMs when this agent first saw this resourceVersion. */
  since: number;
}

export interface ClusterLeaseOptions {
  /** This agent's configured identity, e.g. `switchyard-1`. */
  identity: string;
  /**
   * Tells this agent apart from every other process, even one configured with
   * the same identity: leases are held as `<identity>/<instance>`, so a second
   * process never counts as the holder. Random unless given (tests name it).
   */
  instance?: string;
  durationSeconds?: number;
  /** Wall time written into the lease (acquireTime, renewTime) for people and other tools. */
  now?: () => Date;
  /**
   * A monotonic clock (ms) that times expiry: from when this agent saw the
   * lease last change, as client-go's leader election does, never from the
   * holder's renewTime, so agents whose clocks disagree cannot take a live lease.
   */
  monotonicMs?: () => number;
}

const asDate = (v: unknown): Date | null => (v === undefined || v === null ? null : new Date(v as string | Date));

/** `switchyard-1/4f3a9c2e` → identity and instance; a holder written without an instance is all identity. */
function splitHolder(holder: string): { identity: string; instance: string | null } {
  const slash = holder.lastIndexOf('/');
  return slash < 0 ? { identity: holder, instance: null } : { identity: holder.slice(0, slash), instance: holder.slice(slash + 1) };
}

/**
 * What every switchyard Lease shares (the per-app deploy locks, AppLease,
 * and the agents' leadership, LeaderLease): one process holds it as
 * `<identity>/<instance>`, and another takes it over only once it has itself
 * seen the Lease unchanged for its whole duration, on its own monotonic
 * clock. Every write is a compare-and-swap on the resourceVersion read, so of
 * two processes racing for it exactly one wins (the other's write answers 409).
 *
 * @example
 * const leases = new ClusterLease(kube, { identity: 'switchyard-1', durationSeconds: 30 });
 * const seen = await leases.read('switchyard', 'switchyard-leader');
 * if (seen && !leases.isMine(seen.lease) && !leases.view(seen).expired) console.log(`held by ${leases.view(seen).identity}`);
 */
export class ClusterLease {
  private readonly kube: KubeClients;
  /** How this process writes itself as the holder. */
  readonly holder: string;
  readonly durationSeconds: number;
  private readonly now: () => Date;
  private readonly monotonicMs: () => number;
  /** Each lease as last seen (by namespace/name), and since when it was seen so. */
  private readonly seen = new Map<string, { resourceVersion: string; since: number }>();

  constructor(kube: KubeClients, options: ClusterLeaseOptions) {
    this.kube = kube;
    this.holder = `${options.identity}/${options.instance ?? randomUUID().slice(0, 8)}`;
    this.durationSeconds = options.durationSeconds ?? 60;
    this.now = options.now ?? (() => new Date());
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
  }

  /** The lease, or undefined when there is none; API failures are wrapped naming it. */
  async read(namespace: string, name: string): Promise<ObservedLease | undefined> {
    try {
      return this.observe(await this.kube.coordination.readNamespacedLease({ name, namespace }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw kubeError(err, 'read', `Lease ${namespace}/${name}`);
    }
  }

  /** Who holds it and whether this agent may take it over, by its own observation. */
  view({ lease, since }: ObservedLease): LeaseHolderView {
    const durationSeconds = lease.spec?.leaseDurationSeconds ?? this.durationSeconds;
    const leftMs = since + durationSeconds * 1000 - this.monotonicMs();
    const renewedAt = asDate(lease.spec?.renewTime);
    return {
      ...splitHolder(lease.spec?.holderIdentity ?? ''),
      acquiredAt: asDate(lease.spec?.acquireTime),
      renewedAt,
      durationSeconds,
      expired: leftMs <= 0,
      expiresInSeconds: Math.max(0, Math.ceil(leftMs / 1000)),
      looksDead: renewedAt !== null && this.now().getTime() - renewedAt.getTime() > (durationSeconds * 1000) / 2,
      fence: lease.spec?.leaseTransitions ?? 0,
    };
  }

  /** This very process holds it (not merely one with the same identity). */
  isMine(lease: V1Lease): boolean {
    return lease.spec?.holderIdentity === this.holder;
  }

  /** Nobody holds it, or its holder was seen unrenewed for its whole duration. */
  isFree(observed: ObservedLease): boolean {
    return !observed.lease.spec?.holderIdentity || this.view(observed).expired;
  }

  /** A new Lease held by this process with token `fence`; a 409 (someone created it first) is thrown as is. */
  async create(namespace: string, name: string, meta: { labels: Record<string, string>; annotations?: Record<string, string> }, fence: number): Promise<V1Lease> {
    const at = this.stamp();
    return this.observe(
      await this.kube.coordination.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace, ...meta },
          spec: { holderIdentity: this.holder, leaseDurationSeconds: this.durationSeconds, acquireTime: at, renewTime: at, leaseTransitions: fence },
        },
      }),
    ).lease;
  }

  /**
   * Writes the lease held by this process, renewed now: as a renewal when it
   * already holds it, else as a new holding with a higher token. A 409 (it
   * changed since `current` was read) is thrown as is.
   */
  async claim(current: V1Lease, annotations?: Record<string, string>): Promise<V1Lease> {
    const at = this.stamp();
    const renewal = this.isMine(current);
    return this.replace(current, {
      metadata: { ...current.metadata, ...(annotations ? { annotations } : {}) },
      spec: {
        ...current.spec,
        holderIdentity: this.holder,
        leaseDurationSeconds: this.durationSeconds,
        renewTime: at,
        // A new holder (after an expiry or a release alike) gets a new, higher token.
        ...(renewal ? {} : { acquireTime: at, leaseTransitions: (current.spec?.leaseTransitions ?? 0) + 1 }),
      },
    });
  }

  /** Writes it with no holder, so anyone may take it at once; a 409 is thrown as is. */
  async clear(current: V1Lease, annotations?: Record<string, string>): Promise<void> {
    const { holderIdentity: _h, ...spec } = current.spec ?? {};
    await this.replace(current, { metadata: { ...current.metadata, ...(annotations ? { annotations } : {}) }, spec });
  }

  private async replace(current: V1Lease, body: V1Lease): Promise<V1Lease> {
    const { name = '', namespace = '' } = current.metadata ?? {};
    return this.observe(await this.kube.coordination.replaceNamespacedLease({ name, namespace, body: { ...current, ...body } })).lease;
  }

  private stamp(): V1MicroTime {
    return new V1MicroTime(this.now().getTime());
  }

  /** The lease with when this agent first saw it as it is now: any write (a renewal) starts the count again. */
  private observe(lease: V1Lease): ObservedLease {
    const key = `${lease.metadata?.namespace}/${lease.metadata?.name}`;
    const resourceVersion = lease.metadata?.resourceVersion ?? '';
    const seen = this.seen.get(key);
    if (seen?.resourceVersion === resourceVersion) return { lease, since: seen.since };
    const since = this.monotonicMs();
    this.seen.set(key, { resourceVersion, since });
    return { lease, since };
  }
}

import { ClusterLease, type ClusterLeaseOptions, type ObservedLease } from './cluster-lease.js';
import { LABEL_MANAGED_BY } from './colour-names.js';
import { isConflict, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/** The agent that leads, as people read it: `switchyard-1` (process `4f3a9c2e`). */
export interface LeaderName {
  identity: string;
  instance: string | null;
}

/** The answer to one claim: this process leads now, or who does (null: nobody yet) and when it may be taken over. */
export type LeaderClaim = { leading: true } | { leading: false; leader: LeaderName | null; expiresInSeconds: number };

export interface LeaderLeaseOptions extends ClusterLeaseOptions {
  /** Where the Lease lives (config `agent.leaderNamespace`). */
  namespace: string;
}

/** The leadership Lease's name: one per namespace, apart from the per-app `switchyard-<app>-lock`s. */
export const LEADER_LEASE = 'switchyard-leader';

/**
 * The agents' leadership: a coordination.k8s.io/v1 Lease `switchyard-leader`,
 * held by one `switchyard serve` process at a time, by the same rules as the
 * deploy locks (ClusterLease): taken over only once this process has itself
 * seen it unrenewed for its whole duration, never by reading another
 * machine's clock. `claim` both renews (while held) and takes (when free);
 * the Leadership loop calls it and decides what leading means.
 *
 * @example
 * const lease = new LeaderLease(kube, { identity: 'switchyard-1', namespace: 'switchyard', durationSeconds: 30 });
 * const claim = await lease.claim();   // { leading: true } or { leading: false, leader: { identity: 'switchyard-2', ... }, expiresInSeconds: 21 }
 * await lease.release();               // on an orderly stop: the next agent takes over at once
 */
export class LeaderLease {
  private readonly leases: ClusterLease;
  private readonly namespace: string;

  constructor(kube: KubeClients, options: LeaderLeaseOptions) {
    this.leases = new ClusterLease(kube, options);
    this.namespace = options.namespace;
  }

  async claim(): Promise<LeaderClaim> {
    const observed = await this.leases.read(this.namespace, LEADER_LEASE);
    try {
      if (!observed) await this.leases.create(this.namespace, LEADER_LEASE, { labels: { [LABEL_MANAGED_BY]: 'switchyard' } }, 1);
      else if (this.leases.isMine(observed.lease) || this.leases.isFree(observed)) await this.leases.claim(observed.lease);
      else return this.follower(observed);
      return { leading: true };
    } catch (err) {
      if (!isConflict(err)) throw kubeError(err, observed ? 'renew' : 'create', `Lease ${this.namespace}/${LEADER_LEASE}`);
      // Another agent wrote it first (took it, or created it): it leads.
      const now = await this.leases.read(this.namespace, LEADER_LEASE);
      return now ? this.follower(now) : { leading: false, leader: null, expiresInSeconds: 0 };
    }
  }

  /** Lets the next agent take over at once, if this process still holds it. */
  async release(): Promise<void> {
    const observed = await this.leases.read(this.namespace, LEADER_LEASE);
    if (!observed || !this.leases.isMine(observed.lease)) return;
    try {
      await this.leases.clear(observed.lease);
    } catch (err) {
      if (!isConflict(err)) throw kubeError(err, 'release', `Lease ${this.namespace}/${LEADER_LEASE}`);
    }
  }

  private follower(observed: ObservedLease): LeaderClaim {
    const { identity, instance, expiresInSeconds } = this.leases.view(observed);
    return { leading: false, leader: identity ? { identity, instance } : null, expiresInSeconds };
  }
}

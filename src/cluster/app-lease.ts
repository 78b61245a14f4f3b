import type { V1Lease } from '@kubernetes/client-node';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { ClusterLease, type ClusterLeaseOptions, type LeaseHolderView, type ObservedLease } from './cluster-lease.js';
import { ANNOTATION_DEPLOY_ID, LABEL_MANAGED_BY, leaseName } from './colour-names.js';
import { isConflict, isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/** Who holds an app's lease, for "blog is being deployed by ..." messages. */
export interface LeaseHolder extends LeaseHolderView {
  deployId: string | null;
}

/** A lease this agent holds; pass it back to renew or release. */
export interface HeldLease {
  app: string;
  namespace: string;
  deployId: string;
  resourceVersion: string;
  /**
   * The fencing token of this holding: the lease's leaseTransitions, raised on
   * every change of holder, so a later holder always has a higher one. Writes
   * made under the lock carry it, and whoever stores them keeps the highest
   * seen and refuses lower ones (AppStateStore does).
   */
  fence: number;
}

export interface AppLeaseOptions extends ClusterLeaseOptions {
  /**
   * The highest fencing token the app's writes were made under, so a lease
   * created anew (deleted by hand) hands out tokens above every earlier one.
   */
  fenceFloor?: (app: string, namespace: string) => Promise<number>;
}

/**
 * One deploy per app at a time, across every agent (docs/architecture.md, invariant 5):
 * a coordination.k8s.io/v1 Lease `switchyard-<app>-lock` in the app's
 * namespace, held by one agent process for one deploy, renewed while it runs.
 * Every write is compare-and-swap, so of two agents racing for it exactly one
 * wins.
 *
 * A lease is taken over only once this agent has seen it unchanged for its
 * duration on its own monotonic clock; the renewTime in it comes from another
 * machine's clock and is never compared with this one's. An agent that starts
 * therefore waits a whole duration before taking over a dead holder's lease.
 * Every change of holder raises leaseTransitions, the fencing token
 * (HeldLease.fence) that protects against a holder that lost the lease
 * without knowing it (frozen, cut off).
 *
 * @example
 * const locks = new AppLease(kube, { identity: 'switchyard-1', durationSeconds: 30 });
 * let held = await locks.acquire('blog', 'blog', deployId);  // throws lock-held naming the holder
 * await states.updateAppState('blog', 'blog', change, { fence: held.fence });
 * held = await locks.renew(held);                           // every third of the duration; lock-held once lost
 * await locks.release(held);
 */
export class AppLease {
  private readonly leases: ClusterLease;
  private readonly fenceFloor: (app: string, namespace: string) => Promise<number>;
  private readonly now: () => Date;

  constructor(kube: KubeClients, options: AppLeaseOptions) {
    this.leases = new ClusterLease(kube, options);
    this.now = options.now ?? (() => new Date());
    this.fenceFloor = options.fenceFloor ?? (() => Promise.resolve(0));
  }

  async readHolder(app: string, namespace: string): Promise<LeaseHolder | null> {
    const observed = await this.leases.read(namespace, leaseName(app));
    return observed ? this.holderOf(observed) : null;
  }

  async acquire(app: string, namespace: string, deployId: string): Promise<HeldLease> {
    const name = leaseName(app);
    const observed = await this.leases.read(namespace, name);
    if (!observed) {
      // Counted from above the app's highest token: a lease deleted by hand must not hand out old tokens again.
      const fence = (await this.fenceFloor(app, namespace)) + 1;
      try {
        const meta = { labels: { app, [LABEL_MANAGED_BY]: 'switchyard' }, annotations: { [ANNOTATION_DEPLOY_ID]: deployId } };
        return this.held(app, namespace, deployId, await this.leases.create(namespace, name, meta, fence));
      } catch (err) {
        if (isConflict(err)) throw await this.heldError(app, namespace);
        throw kubeError(err, 'create', `Lease ${namespace}/${name}`);
      }
    }
    const current = observed.lease;
    // Only this very process may take a live lease again, and only for the same deploy: a second deploy
    // would otherwise overwrite the first one's lease, and both would believe they hold it.
    const ours = this.leases.isMine(current) && this.holderOf(observed).deployId === deployId;
    if (!this.leases.isFree(observed) && !ours) throw this.lockHeld(app, namespace, this.holderOf(observed));
    try {
      const annotations = { ...current.metadata?.annotations, [ANNOTATION_DEPLOY_ID]: deployId };
      // Anything but this holding renewed is a new holding with a higher token, even by this process for another deploy.
      return this.held(app, namespace, deployId, await this.leases.claim(ours ? current : this.unheld(current), annotations));
    } catch (err) {
      if (isConflict(err)) throw await this.heldError(app, namespace);
      throw kubeError(err, 'take', `Lease ${namespace}/${name}`);
    }
  }

  /** Renews the lease; throws lock-held if another agent took it (it had expired) meanwhile. */
  async renew(lease: HeldLease): Promise<HeldLease> {
    const { app, namespace } = lease;
    const observed = await this.leases.read(namespace, leaseName(app));
    if (!observed || !this.holds(observed.lease, lease)) {
      throw observed ? this.lockHeld(app, namespace, this.holderOf(observed)) : new SwitchyardError('lock-held', `the lock of ${app} in ${namespace} was removed while deploy ${lease.deployId} held it`, { hint: 'check that nobody deletes switchyard leases by hand' });
    }
    try {
      return this.held(app, namespace, lease.deployId, await this.leases.claim(observed.lease));
    } catch (err) {
      if (isConflict(err)) throw await this.heldError(app, namespace);
      throw kubeError(err, 'renew', `Lease ${namespace}/${leaseName(app)}`);
    }
  }

  /** Gives the lease up if this agent still holds it for this deploy, under the same token. */
  async release(lease: HeldLease): Promise<void> {
    const { app, namespace } = lease;
    const observed = await this.leases.read(namespace, leaseName(app));
    if (!observed || !this.holds(observed.lease, lease)) return;
    const { [ANNOTATION_DEPLOY_ID]: _dropped, ...annotations } = observed.lease.metadata?.annotations ?? {};
    try {
      await this.leases.clear(observed.lease, annotations);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw kubeError(err, 'release', `Lease ${namespace}/${leaseName(app)}`);
    }
  }

  /** The lease as if nobody held it, so claiming it counts as a new holding (a new, higher token). */
  private unheld(lease: V1Lease): V1Lease {
    const { holderIdentity: _h, ...spec } = lease.spec ?? {};
    return { ...lease, spec };
  }

  private holds(current: V1Lease, lease: HeldLease): boolean {
    return (
      this.leases.isMine(current) &&
      current.metadata?.annotations?.[ANNOTATION_DEPLOY_ID] === lease.deployId &&
      (current.spec?.leaseTransitions ?? 0) === lease.fence
    );
  }

  private holderOf(observed: ObservedLease): LeaseHolder {
    return { ...this.leases.view(observed), deployId: observed.lease.metadata?.annotations?.[ANNOTATION_DEPLOY_ID] ?? null };
  }

  private held(app: string, namespace: string, deployId: string, lease: V1Lease): HeldLease {
    return { app, namespace, deployId, resourceVersion: lease.metadata?.resourceVersion ?? '', fence: lease.spec?.leaseTransitions ?? 0 };
  }

  private async heldError(app: string, namespace: string): Promise<SwitchyardError> {
    const holder = await this.readHolder(app, namespace);
    return holder ? this.lockHeld(app, namespace, holder) : new SwitchyardError('lock-held', `another agent took the lock of ${app} in ${namespace} at the same moment`, { hint: 'try again' });
  }

  private lockHeld(app: string, namespace: string, h: LeaseHolder): SwitchyardError {
    const who = h.identity ? `${h.identity}${h.instance ? ` (process ${h.instance})` : ''}` : 'nobody';
    return new SwitchyardError('lock-held', `${app} is locked by ${who}${h.deployId ? ` running deploy ${h.deployId}` : ''}`, {
      hint: `wait for that deploy to finish or abort it; if its agent is gone, the lock can be taken over in ${h.expiresInSeconds} s (${h.durationSeconds} s after it was last seen renewed)`,
      details: {
        holder: h.identity,
        instance: h.instance,
        deployId: h.deployId,
        namespace,
        expiresInSeconds: h.expiresInSeconds,
        expiresAt: new Date(this.now().getTime() + h.expiresInSeconds * 1000).toISOString(),
        renewedAt: h.renewedAt?.toISOString() ?? null,
        looksDead: h.looksDead,
      },
    });
  }
}

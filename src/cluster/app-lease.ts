import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { ANNOTATION_DEPLOY_ID, LABEL_MANAGED_BY, leaseName } from './colour-names.js';
import { isConflict, isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/** Who holds an app's lease, for "blog is being deployed by ..." messages. */
export interface LeaseHolder {
  identity: string;
  deployId: string | null;
  acquiredAt: Date | null;
  renewedAt: Date | null;
  durationSeconds: number;
  /** Not renewed within its duration: another agent may take it over. */
  expired: boolean;
}

/** A lease this agent holds; pass it back to renew or release. */
export interface HeldLease {
  app: string;
  namespace: string;
  deployId: string;
  resourceVersion: string;
}

export interface AppLeaseOptions {
  /** This agent's identity, e.g. `<host>-<pid>`; the same identity re-acquires its own lease for the same deploy (a restart). */
  identity: string;
  durationSeconds?: number;
  now?: () => Date;
}

const asDate = (v: unknown): Date | null => (v === undefined || v === null ? null : new Date(v as string | Date));

/**
 * One deploy per app at a time, across every agent (DESIGN.md invariant 5):
 * a coordination.k8s.io/v1 Lease `switchyard-<app>-lock` in the app's
 * namespace, with holder identity, duration and renewal. A lease not renewed
 * within its duration can be taken over. Every write is compare-and-swap, so
 * of two agents racing for it exactly one wins.
 *
 * @example
 * const locks = new AppLease(kube, { identity: `${hostname()}-${process.pid}`, durationSeconds: 60 });
 * let held = await locks.acquire('blog', 'blog', deployId);     // throws lock-held naming the holder
 * held = await locks.renew(held);                            // every third of the duration; lock-held once lost
 * await locks.release(held);
 */
export class AppLease {
  private readonly kube: KubeClients;
  private readonly identity: string;
  private readonly durationSeconds: number;
  private readonly now: () => Date;

  constructor(kube: KubeClients, options: AppLeaseOptions) {
    this.kube = kube;
    this.identity = options.identity;
    this.durationSeconds = options.durationSeconds ?? 60;
    this.now = options.now ?? (() => new Date());
  }

  async readHolder(app: string, namespace: string): Promise<LeaseHolder | null> {
    const lease = await this.read(app, namespace);
    return lease ? this.holderOf(lease) : null;
  }

  async acquire(app: string, namespace: string, deployId: string): Promise<HeldLease> {
    const name = leaseName(app);
    const current = await this.read(app, namespace);
    const at = new V1MicroTime(this.now().getTime());
    if (!current) {
      try {
        const created = await this.kube.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace, labels: { app, [LABEL_MANAGED_BY]: 'switchyard' }, annotations: { [ANNOTATION_DEPLOY_ID]: deployId } },
            spec: { holderIdentity: this.identity, leaseDurationSeconds: this.durationSeconds, acquireTime: at, renewTime: at, leaseTransitions: 0 },
          },
        });
        return this.held(app, namespace, deployId, created);
      } catch (err) {
        if (isConflict(err)) throw await this.heldError(app, namespace);
        throw kubeError(err, 'create', `Lease ${namespace}/${name}`);
      }
    }
    const holder = this.holderOf(current);
    // Only the same deploy may take a live lease again (this agent resuming it after a restart); a second deploy
    // of this agent would otherwise overwrite the first one's lease, and both would believe they hold it.
    const ours = holder.identity === this.identity && holder.deployId === deployId;
    if (holder.identity && !holder.expired && !ours) throw this.lockHeld(app, namespace, holder);
    const takeover = holder.identity !== this.identity;
    const body: V1Lease = {
      ...current,
      metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, [ANNOTATION_DEPLOY_ID]: deployId } },
      spec: {
        ...current.spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: this.durationSeconds,
        renewTime: at,
        ...(takeover || !current.spec?.acquireTime ? { acquireTime: at, leaseTransitions: (current.spec?.leaseTransitions ?? 0) + (holder.identity ? 1 : 0) } : {}),
      },
    };
    try {
      return this.held(app, namespace, deployId, await this.kube.coordination.replaceNamespacedLease({ name, namespace, body }));
    } catch (err) {
      if (isConflict(err)) throw await this.heldError(app, namespace);
      throw kubeError(err, 'take', `Lease ${namespace}/${name}`);
    }
  }

  /** Renews the lease; throws lock-held if another agent took it (it had expired) meanwhile. */
  async renew(lease: HeldLease): Promise<HeldLease> {
    const { app, namespace } = lease;
    const current = await this.read(app, namespace);
    if (!current || current.spec?.holderIdentity !== this.identity || current.metadata?.annotations?.[ANNOTATION_DEPLOY_ID] !== lease.deployId) {
      throw current ? this.lockHeld(app, namespace, this.holderOf(current)) : new SwitchyardError('lock-held', `the lock of ${app} in ${namespace} was removed while deploy ${lease.deployId} held it`, { hint: 'check that nobody deletes switchyard leases by hand' });
    }
    const body: V1Lease = { ...current, spec: { ...current.spec, renewTime: new V1MicroTime(this.now().getTime()) } };
    try {
      return this.held(app, namespace, lease.deployId, await this.kube.coordination.replaceNamespacedLease({ name: leaseName(app), namespace, body }));
    } catch (err) {
      if (isConflict(err)) throw await this.heldError(app, namespace);
      throw kubeError(err, 'renew', `Lease ${namespace}/${leaseName(app)}`);
    }
  }

  /** Gives the lease up if this agent still holds it for this deploy. */
  async release(lease: HeldLease): Promise<void> {
    const { app, namespace } = lease;
    const current = await this.read(app, namespace);
    if (!current || current.spec?.holderIdentity !== this.identity || current.metadata?.annotations?.[ANNOTATION_DEPLOY_ID] !== lease.deployId) return;
    const { [ANNOTATION_DEPLOY_ID]: _dropped, ...annotations } = current.metadata?.annotations ?? {};
    const { holderIdentity: _h, ...spec } = current.spec ?? {};
    try {
      await this.kube.coordination.replaceNamespacedLease({ name: leaseName(app), namespace, body: { ...current, metadata: { ...current.metadata, annotations }, spec } });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw kubeError(err, 'release', `Lease ${namespace}/${leaseName(app)}`);
    }
  }

  private holderOf(lease: V1Lease): LeaseHolder {
    const renewedAt = asDate(lease.spec?.renewTime);
    const durationSeconds = lease.spec?.leaseDurationSeconds ?? this.durationSeconds;
    return {
      identity: lease.spec?.holderIdentity ?? '',
      deployId: lease.metadata?.annotations?.[ANNOTATION_DEPLOY_ID] ?? null,
      acquiredAt: asDate(lease.spec?.acquireTime),
      renewedAt,
      durationSeconds,
      expired: !renewedAt || renewedAt.getTime() + durationSeconds * 1000 < this.now().getTime(),
    };
  }

  private held(app: string, namespace: string, deployId: string, lease: V1Lease): HeldLease {
    return { app, namespace, deployId, resourceVersion: lease.metadata?.resourceVersion ?? '' };
  }

  private async heldError(app: string, namespace: string): Promise<SwitchyardError> {
    const holder = await this.readHolder(app, namespace);
    return holder ? this.lockHeld(app, namespace, holder) : new SwitchyardError('lock-held', `another agent took the lock of ${app} in ${namespace} at the same moment`, { hint: 'try again' });
  }

  private lockHeld(app: string, namespace: string, h: LeaseHolder): SwitchyardError {
    const left = h.renewedAt ? Math.max(0, Math.ceil((h.renewedAt.getTime() + h.durationSeconds * 1000 - this.now().getTime()) / 1000)) : 0;
    return new SwitchyardError('lock-held', `${app} is locked by ${h.identity || 'nobody'}${h.deployId ? ` running deploy ${h.deployId}` : ''}`, {
      hint: `wait for that deploy to finish or abort it; the lock expires ${left} s after its holder stops renewing it`,
      details: { holder: h.identity, deployId: h.deployId, namespace, expiresInSeconds: left },
    });
  }

  private async read(app: string, namespace: string): Promise<V1Lease | undefined> {
    try {
      return await this.kube.coordination.readNamespacedLease({ name: leaseName(app), namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw kubeError(err, 'read', `Lease ${namespace}/${leaseName(app)}`);
    }
  }
}

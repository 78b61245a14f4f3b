import { randomUUID } from 'node:crypto';
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { ANNOTATION_DEPLOY_ID, LABEL_MANAGED_BY, leaseName } from './colour-names.js';
import { isConflict, isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

/** Who holds an app's lease, for "blog is being deployed by ..." messages. */
export interface LeaseHolder {
  /** The holder's configured identity: the part people read. */
  identity: string;
  /** Which process of that identity holds it (see AppLeaseOptions.instance). */
  instance: string | null;
  deployId: string | null;
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

export interface AppLeaseOptions {
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
  /**
   * The highest fencing token the app's writes were made under, so a lease
   * created anew (deleted by hand) hands out tokens above every earlier one.
   */
  fenceFloor?: (app: string, namespace: string) => Promise<number>;
}

interface Observed {
  lease: V1Lease;
  /** monotonicMs when this agent first saw the lease as it is now. */
  since: number;
}

const asDate = (v: unknown): Date | null => (v === undefined || v === null ? null : new Date(v as string | Date));

/** `switchyard-1/4f3a9c2e` → identity and instance; a holder written without an instance is all identity. */
function splitHolder(holder: string): { identity: string; instance: string | null } {
  const slash = holder.lastIndexOf('/');
  return slash < 0 ? { identity: holder, instance: null } : { identity: holder.slice(0, slash), instance: holder.slice(slash + 1) };
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
  private readonly kube: KubeClients;
  private readonly holder: string;
  private readonly durationSeconds: number;
  private readonly now: () => Date;
  private readonly monotonicMs: () => number;
  private readonly fenceFloor: (app: string, namespace: string) => Promise<number>;
  /** Each app's lease as last seen (by namespace/app), and since when it was seen so. */
  private readonly seen = new Map<string, { resourceVersion: string; since: number }>();

  constructor(kube: KubeClients, options: AppLeaseOptions) {
    this.kube = kube;
    this.holder = `${options.identity}/${options.instance ?? randomUUID().slice(0, 8)}`;
    this.durationSeconds = options.durationSeconds ?? 60;
    this.now = options.now ?? (() => new Date());
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.fenceFloor = options.fenceFloor ?? (() => Promise.resolve(0));
  }

  async readHolder(app: string, namespace: string): Promise<LeaseHolder | null> {
    const observed = await this.read(app, namespace);
    return observed ? this.holderOf(observed) : null;
  }

  async acquire(app: string, namespace: string, deployId: string): Promise<HeldLease> {
    const name = leaseName(app);
    const observed = await this.read(app, namespace);
    const at = new V1MicroTime(this.now().getTime());
    if (!observed) {
      // Counted from above the app's highest token: a lease deleted by hand must not hand out old tokens again.
      const fence = (await this.fenceFloor(app, namespace)) + 1;
      try {
        const created = await this.kube.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace, labels: { app, [LABEL_MANAGED_BY]: 'switchyard' }, annotations: { [ANNOTATION_DEPLOY_ID]: deployId } },
            spec: { holderIdentity: this.holder, leaseDurationSeconds: this.durationSeconds, acquireTime: at, renewTime: at, leaseTransitions: fence },
          },
        });
        return this.held(app, namespace, deployId, created);
      } catch (err) {
        if (isConflict(err)) throw await this.heldError(app, namespace);
        throw kubeError(err, 'create', `Lease ${namespace}/${name}`);
      }
    }
    const current = observed.lease;
    const holder = this.holderOf(observed);
    // Only this very process may take a live lease again, and only for the same deploy: a second deploy
    // would otherwise overwrite the first one's lease, and both would believe they hold it.
    const ours = current.spec?.holderIdentity === this.holder && holder.deployId === deployId;
    if (current.spec?.holderIdentity && !holder.expired && !ours) throw this.lockHeld(app, namespace, holder);
    const body: V1Lease = {
      ...current,
      metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, [ANNOTATION_DEPLOY_ID]: deployId } },
      spec: {
        ...current.spec,
        holderIdentity: this.holder,
        leaseDurationSeconds: this.durationSeconds,
        renewTime: at,
        // A new holder (after an expiry or a release alike) gets a new, higher token.
        ...(ours ? {} : { acquireTime: at, leaseTransitions: holder.fence + 1 }),
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
    const observed = await this.read(app, namespace);
    if (!observed || !this.holds(observed.lease, lease)) {
      throw observed ? this.lockHeld(app, namespace, this.holderOf(observed)) : new SwitchyardError('lock-held', `the lock of ${app} in ${namespace} was removed while deploy ${lease.deployId} held it`, { hint: 'check that nobody deletes switchyard leases by hand' });
    }
    const current = observed.lease;
    const body: V1Lease = { ...current, spec: { ...current.spec, renewTime: new V1MicroTime(this.now().getTime()) } };
    try {
      return this.held(app, namespace, lease.deployId, await this.kube.coordination.replaceNamespacedLease({ name: leaseName(app), namespace, body }));
    } catch (err) {
      if (isConflict(err)) throw await this.heldError(app, namespace);
      throw kubeError(err, 'renew', `Lease ${namespace}/${leaseName(app)}`);
    }
  }

  /** Gives the lease up if this agent still holds it for this deploy, under the same token. */
  async release(lease: HeldLease): Promise<void> {
    const { app, namespace } = lease;
    const observed = await this.read(app, namespace);
    if (!observed || !this.holds(observed.lease, lease)) return;
    const current = observed.lease;
    const { [ANNOTATION_DEPLOY_ID]: _dropped, ...annotations } = current.metadata?.annotations ?? {};
    const { holderIdentity: _h, ...spec } = current.spec ?? {};
    try {
      await this.kube.coordination.replaceNamespacedLease({ name: leaseName(app), namespace, body: { ...current, metadata: { ...current.metadata, annotations }, spec } });
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw kubeError(err, 'release', `Lease ${namespace}/${leaseName(app)}`);
    }
  }

  private holds(current: V1Lease, lease: HeldLease): boolean {
    return (
      current.spec?.holderIdentity === this.holder &&
      current.metadata?.annotations?.[ANNOTATION_DEPLOY_ID] === lease.deployId &&
      (current.spec?.leaseTransitions ?? 0) === lease.fence
    );
  }

  private holderOf({ lease, since }: Observed): LeaseHolder {
    const durationSeconds = lease.spec?.leaseDurationSeconds ?? this.durationSeconds;
    const leftMs = since + durationSeconds * 1000 - this.monotonicMs();
    const renewedAt = asDate(lease.spec?.renewTime);
    return {
      ...splitHolder(lease.spec?.holderIdentity ?? ''),
      deployId: lease.metadata?.annotations?.[ANNOTATION_DEPLOY_ID] ?? null,
      acquiredAt: asDate(lease.spec?.acquireTime),
      renewedAt,
      durationSeconds,
      expired: leftMs <= 0,
      expiresInSeconds: Math.max(0, Math.ceil(leftMs / 1000)),
      looksDead: renewedAt !== null && this.now().getTime() - renewedAt.getTime() > (durationSeconds * 1000) / 2,
      fence: lease.spec?.leaseTransitions ?? 0,
    };
  }

  private held(app: string, namespace: string, deployId: string, lease: V1Lease): HeldLease {
    this.observe(namespace, app, lease);
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

  /** The lease with when this agent first saw it as it is now: any write (a renewal) starts the count again. */
  private observe(namespace: string, app: string, lease: V1Lease): Observed {
    const key = `${namespace}/${app}`;
    const resourceVersion = lease.metadata?.resourceVersion ?? '';
    const seen = this.seen.get(key);
    if (seen?.resourceVersion === resourceVersion) return { lease, since: seen.since };
    const since = this.monotonicMs();
    this.seen.set(key, { resourceVersion, since });
    return { lease, since };
  }

  private async read(app: string, namespace: string): Promise<Observed | undefined> {
    try {
      return this.observe(namespace, app, await this.kube.coordination.readNamespacedLease({ name: leaseName(app), namespace }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw kubeError(err, 'read', `Lease ${namespace}/${leaseName(app)}`);
    }
  }
}

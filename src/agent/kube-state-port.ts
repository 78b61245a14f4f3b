import { AppLease } from '../cluster/app-lease.js';
import { AppStateStore } from '../cluster/app-state-store.js';
import type { KubeClients } from '../cluster/kube-clients.js';
import type { AppConfig } from '../config/schema.js';
import type { LockHolder, LockPort, StatePort } from '../deploy/ports.js';
import { SwitchyardError } from '../errors/switchyard-error.js';

function namespaceOf(apps: readonly AppConfig[], app: string): string {
  const found = apps.find((a) => a.name === app);
  if (!found) throw new SwitchyardError('input-invalid', `unknown app "${app}"`, { hint: `known apps: ${apps.map((a) => a.name).join(', ')}` });
  return found.namespace;
}

/** The state port: each app's record in its ConfigMap, written compare-and-swap and fenced. */
export function kubeStatePort(kube: KubeClients, apps: readonly AppConfig[]): StatePort {
  const store = new AppStateStore(kube);
  return {
    read: (app) => store.readAppState(app, namespaceOf(apps, app)),
    update: (app, fn, options) => store.updateAppState(app, namespaceOf(apps, app), fn, options),
  };
}

/**
 * The lock port: a Lease per app held by this agent process (its identity
 * and an instance id of its own). The leases this agent holds are kept by app
 * and deploy so renew and release find them. A lease created anew hands out
 * fences above the one the app's state records.
 */
export function kubeLockPort(kube: KubeClients, apps: readonly AppConfig[], options: { identity: string; instance: string; leaseSeconds: number }): LockPort {
  const states = new AppStateStore(kube);
  const leases = new AppLease(kube, {
    identity: options.identity,
    instance: options.instance,
    durationSeconds: options.leaseSeconds,
    fenceFloor: (app, namespace) => states.readFence(app, namespace),
  });
  const held = new Map<string, Awaited<ReturnType<AppLease['acquire']>>>();
  const key = (app: string, h: LockHolder): string => `${app}/${h.deployId}`;
  return {
    async acquire(app, holder) {
      try {
        const lease = await leases.acquire(app, namespaceOf(apps, app), holder.deployId);
        held.set(key(app, holder), lease);
        return { acquired: true, fence: lease.fence };
      } catch (err) {
        if (!(err instanceof SwitchyardError) || err.code !== 'lock-held') throw err;
        const d = err.details as { holder?: string; deployId?: string | null; expiresAt?: string; renewedAt?: string | null; looksDead?: boolean };
        const seen = d.expiresAt ? { expiresAt: d.expiresAt, looksDead: d.looksDead === true, ...(d.renewedAt ? { renewedAt: d.renewedAt } : {}) } : undefined;
        return { acquired: false, holder: { agent: d.holder || 'unknown agent', deployId: d.deployId ?? 'unknown' }, ...(seen ? { seen } : {}) };
      }
    },
    async renew(app, holder) {
      const lease = held.get(key(app, holder));
      if (!lease) return false;
      try {
        held.set(key(app, holder), await leases.renew(lease));
        return true;
      } catch (err) {
        if (err instanceof SwitchyardError && err.code === 'lock-held') {
          held.delete(key(app, holder));
          return false;
        }
        throw err;
      }
    },
    async release(app, holder) {
      const lease = held.get(key(app, holder));
      held.delete(key(app, holder));
      if (lease) await leases.release(lease);
    },
  };
}

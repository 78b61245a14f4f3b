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

/** The state port: each app's record in its ConfigMap, written compare-and-swap. */
export function kubeStatePort(kube: KubeClients, apps: readonly AppConfig[]): StatePort {
  const store = new AppStateStore(kube);
  return {
    read: (app) => store.readAppState(app, namespaceOf(apps, app)),
    update: (app, fn) => store.updateAppState(app, namespaceOf(apps, app), fn),
  };
}

/**
 * The lock port: a Lease per app held under this agent's identity. The
 * leases this agent holds are kept by app so renew and release find them.
 */
export function kubeLockPort(kube: KubeClients, apps: readonly AppConfig[], options: { identity: string; leaseSeconds: number }): LockPort {
  const leases = new AppLease(kube, { identity: options.identity, durationSeconds: options.leaseSeconds });
  const held = new Map<string, Awaited<ReturnType<AppLease['acquire']>>>();
  const key = (app: string, h: LockHolder): string => `${app}/${h.deployId}`;
  return {
    async acquire(app, holder) {
      try {
        held.set(key(app, holder), await leases.acquire(app, namespaceOf(apps, app), holder.deployId));
        return { acquired: true };
      } catch (err) {
        if (!(err instanceof SwitchyardError) || err.code !== 'lock-held') throw err;
        const d = err.details as { holder?: string; deployId?: string | null };
        return { acquired: false, holder: { agent: d.holder || 'unknown agent', deployId: d.deployId ?? 'unknown' } };
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

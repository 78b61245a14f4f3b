import { STATE_KEY } from '../../src/cluster/app-state-store.js';
import { leaseName, stateConfigMapName } from '../../src/cluster/colour-names.js';
import type { KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import type { StoreEvent } from '../../src/sandbox/kube/kube-store.js';
import { emptyAppState, type AppState } from '../../src/state/app-state.js';

/**
 * The app's state record as the stand-in cluster holds it right now (the
 * ConfigMap `switchyard-<app>`, JSON under `state.json`): what any agent
 * would read, not what one agent remembers.
 *
 * @example
 * expect(appStateIn(env.kube).inFlight).toBeNull();
 */
export function appStateIn(kube: KubeStandIn, app = 'blog', namespace = app): AppState {
  const cm = kube.store.find('configmaps', namespace, stateConfigMapName(app));
  return stateOf(cm?.data, app);
}

/** The state record a ConfigMap event carries, or undefined for any other event. */
export function stateInEvent(e: StoreEvent, app = 'blog', namespace = app): AppState | undefined {
  const meta = e.object.metadata;
  if (e.resource.plural !== 'configmaps' || meta.namespace !== namespace || meta.name !== stateConfigMapName(app)) return undefined;
  return stateOf(e.object.data, app);
}

function stateOf(data: unknown, app: string): AppState {
  const json = (data as Record<string, string> | undefined)?.[STATE_KEY];
  return json ? (JSON.parse(json) as AppState) : emptyAppState(app);
}

/**
 * Resolves with the state record once `until` holds for it, checked now and
 * on every write to the ConfigMap (event-driven, no polling); rejects after
 * `timeoutMs` naming what it waited for and the phase it last saw.
 *
 * @example
 * await untilAppState(env.kube, (s) => s.inFlight?.phase === 'verifying', 'the deploy to reach verifying');
 */
export function untilAppState(
  kube: KubeStandIn,
  until: (s: AppState) => boolean,
  what: string,
  timeoutMs = 30_000,
  app = 'blog',
): Promise<AppState> {
  const now = appStateIn(kube, app);
  if (until(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    let last = now;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}; the record was last ${describeState(last)}`));
    }, timeoutMs);
    const off = kube.store.subscribe((e) => {
      const s = stateInEvent(e, app);
      if (!s) return;
      last = s;
      if (!until(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

/** `in flight: blog-1a2b waiting` or `idle, live green 2.0.0`, for failure messages. */
export function describeState(s: AppState): string {
  const live = s.live ? `live ${s.live.colour} ${s.live.version}` : 'nothing live';
  return s.inFlight ? `in flight: ${s.inFlight.id} ${s.inFlight.phase}${s.inFlight.error ? ` (${s.inFlight.error.message})` : ''}, ${live}` : `idle, ${live}`;
}

/** Until the app's lock (its Lease) has no holder: a runner releases it just after recording the end. */
export async function untilLockFree(env: { kube: KubeStandIn }, app = 'blog'): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((env.kube.store.find('leases', app, leaseName(app))?.spec as { holderIdentity?: string } | undefined)?.holderIdentity) {
    if (Date.now() > deadline) throw new Error(`the lock of ${app} was never released`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

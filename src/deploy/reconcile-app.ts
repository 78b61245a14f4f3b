import type { AppConfig } from '../config/schema.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { HISTORY_LIMIT, type Actor, type DeployRecord } from '../state/app-state.js';
import type { DeployDeps } from './deploy-runner.js';
import { keepLease } from './keep-lease.js';
import { lockHeldError } from './lock-held-error.js';
import { planReconcile, type ReconcilePlan } from './plan-reconcile.js';
import type { LockHolder } from './ports.js';
import { readFleetReport } from './read-fleet-report.js';

/** Nodes mid-switch are not drift: a reconcile waits for the deploy to end. */
export function inFlightRefusal(r: DeployRecord): SwitchyardError {
  return new SwitchyardError('lock-held', `${r.app} has ${r.kind} ${r.id} in flight (${r.phase}): its nodes are not reconciled while it runs; nothing was changed`, {
    hint: `wait for it to end (switchyard status ${r.app}), then check again`,
    details: { app: r.app, deployId: r.id, phase: r.phase },
  });
}

/**
 * Brings an app's nodes and record to the colour of `plan`, as shown to and
 * confirmed by a person: under the app's lock (refused while a deploy is in
 * flight), after reading the fleet again and checking it still matches the
 * plan, with the same two-phase switch as a deploy (every node or none),
 * then the record and one history entry (who, when, what changed) written
 * under the lock's fence.
 *
 * @example
 * const plan = planReconcile(report, state.live, colours);
 * if (await confirm(...)) await reconcileApp(deps, app, plan, { via: 'cli', id: 'alice' }, 'blog-1a2b3c4d');
 */
export async function reconcileApp(deps: DeployDeps, app: AppConfig, plan: ReconcilePlan, by: Actor, id: string): Promise<DeployRecord> {
  const { lock, state, clock, agent } = deps;
  const holder: LockHolder = { agent: agent.id, deployId: id, by };
  const got = await lock.acquire(app.name, holder);
  if (!got.acquired) throw lockHeldError(app.name, got.holder, (await state.read(app.name)).inFlight);
  const fence = { fence: got.fence };
  const stop = new AbortController();
  let lost = false;
  const renewing = keepLease(() => lock.renew(app.name, holder), { clock, everyMs: deps.renewMs ?? 10_000, signal: stop.signal, onLost: () => (lost = true) });
  try {
    const requestedAt = clock.now().toISOString();
    // Claims the record under this fence first: a runner that held the lock before changes nothing from here on.
    await state.update(app.name, (s) => s, fence);
    const reading = await readFleetReport(deps, app);
    if (!reading.report) throw inFlightRefusal(reading.state.inFlight!);
    const again = planReconcile(reading.report, reading.state.live, await deps.cluster.observe(app), plan.target);
    if (JSON.stringify(again) !== JSON.stringify(plan)) {
      throw new SwitchyardError('fleet-disagrees', `the nodes or the record of ${app.name} changed since the plan was shown; nothing was changed`, {
        hint: `run switchyard reconcile ${app.name} again to see what it would change now`,
      });
    }
    if (lost) throw new SwitchyardError('lock-held', `lost the lock of ${app.name} before reconciling; nothing was changed`, { hint: 'try again' });
    const changed = plan.nodes.length > 0 ? await deps.fleet.switchTo(reading.nodes, app, plan.target) : undefined;
    const at = clock.now().toISOString();
    const what = plan.nodes.length > 0 ? plan.nodes.map((n) => `${n.node} ${n.from} → ${plan.target}`).join(', ') : 'every node already on it';
    const record: DeployRecord = {
      id,
      app: app.name,
      kind: 'reconcile',
      version: plan.version,
      fromColour: plan.record.from?.colour ?? null,
      fromVersion: plan.record.from?.version ?? null,
      toColour: plan.target,
      phase: 'done',
      requestedBy: by,
      requestedAt,
      skipVerify: true,
      finishedAt: at,
      ...(changed ? { switchedAt: at, switched: { nodes: plan.nodes.length, mixedWindowMs: changed.mixedWindowMs } } : {}),
      transitions: [
        { phase: 'pending', at: requestedAt, by, note: `reconcile to ${plan.target} requested` },
        { phase: 'done', at, by: agent, note: `${what}; recorded live: ${plan.target} ${plan.version}` },
      ],
    };
    await state.update(app.name, (s) => ({ ...s, live: plan.record.to, history: [record, ...s.history].slice(0, HISTORY_LIMIT) }), fence);
    return record;
  } finally {
    stop.abort();
    await renewing;
    await lock.release(app.name, holder).catch(() => undefined);
  }
}

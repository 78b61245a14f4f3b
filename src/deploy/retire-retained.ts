import type { AppConfig } from '../config/schema.js';
import { asSwitchyardError } from '../errors/switchyard-error.js';
import type { AppState } from '../state/app-state.js';
import type { Colour } from '../validate/patterns.js';
import type { DeployDeps } from './deploy-runner.js';

export interface RetireReport {
  app: string;
  /**
   * nothing: no retained colour; kept: its window is still open (until);
   * retired: deleted now; skipped: not safe now (note says why); error: could not check.
   */
  how: 'nothing' | 'kept' | 'retired' | 'skipped' | 'error';
  colour?: Colour;
  version?: string;
  until?: string;
  note?: string;
}

/** When the retention window of the colour `s.previous` names closes, or null when none is retained. */
export function retainedUntil(s: AppState, app: AppConfig): Date | null {
  if (s.inFlight || !s.live || !s.previous || s.previous.colour === s.live.colour) return null;
  // The gate switched back and kept the new colour for inspection: the next deploy replaces it, nothing retires it.
  if (s.history[0]?.phase === 'auto-rolled-back') return null;
  // The deploy that made the live colour live is the one that kept the old one.
  const keptBy = s.history.find((r) => (r.phase === 'done' || r.phase === 'rolled-back') && r.toColour === s.live!.colour);
  if (!keptBy?.finishedAt) return null;
  return new Date(new Date(keptBy.finishedAt).getTime() + app.retainMinutes * 60_000);
}

/**
 * Deletes the old colour an app kept for an instant rollback (retainMinutes)
 * once its window has closed. It holds the app's lock while it acts, so no
 * deploy starts meanwhile, and deletes only while every node marks the live
 * colour live: never a colour that takes traffic. The recorded previous
 * version stays, so a later rollback re-creates it.
 *
 * @example
 * const report = await retireRetained(deps, app); // { app: 'blog', how: 'retired', colour: 'blue', version: '1.0.0' }
 */
export async function retireRetained(deps: DeployDeps, app: AppConfig): Promise<RetireReport> {
  const { state, lock, cluster, fleet, clock, agent } = deps;
  const report = (how: RetireReport['how'], extra: Partial<RetireReport> = {}): RetireReport => ({ app: app.name, how, ...extra });
  try {
    const s = await state.read(app.name);
    const until = retainedUntil(s, app);
    if (!until) return report('nothing');
    const kept = s.previous!;
    const what = { colour: kept.colour, version: kept.version };
    if (clock.now() < until) return report('kept', { ...what, until: until.toISOString() });
    if (!(await cluster.observe(app))[kept.colour]) return report('nothing');

    const holder = { agent: agent.id, deployId: `${app.name}-retire-${until.getTime()}` };
    const got = await lock.acquire(app.name, holder);
    if (!got.acquired) return report('skipped', { ...what, note: `${app.name} is held by ${got.holder.agent} for ${got.holder.deployId}` });
    try {
      // Read again under the lock: a deploy may have started since.
      if (retainedUntil(await state.read(app.name), app)?.getTime() !== until.getTime()) return report('skipped', { ...what, note: 'a deploy started meanwhile' });
      const view = await fleet.liveColour(await fleet.discover(), app);
      if (view.agreed !== s.live!.colour) {
        return report('skipped', { ...what, note: `not every node marks ${s.live!.colour} live; ${app.name}-${kept.colour} stays until they do` });
      }
      await cluster.deleteColour(app, kept.colour);
      return report('retired', what);
    } finally {
      await lock.release(app.name, holder);
    }
  } catch (err) {
    return report('error', { note: asSwitchyardError(err).message });
  }
}

import type { DeployService } from '../deploy/deploy-service.js';
import { isFinal } from '../deploy/deploy-phases.js';
import { emptyAppState, type AppState } from '../state/app-state.js';

/**
 * An app's state as the cluster holds it, read without SSH or discovery.
 * The service hands out a whole state only with one of the app's deploys
 * (get), so this names one: the deploy in flight, which the feed knows once
 * the history read has shown it, or else the newest finished one. With
 * neither, nothing was ever recorded for the app.
 *
 * @example
 * const { live, inFlight } = await readAppState(agent.service, 'blog');
 */
export async function readAppState(service: DeployService, app: string): Promise<AppState> {
  const [newest] = await service.history(app);
  const inFlight = service.feed.current({ app }).find((s) => !isFinal(s.record.phase));
  const id = inFlight?.record.id ?? newest?.id;
  return id ? (await service.get(app, id)).state : emptyAppState(app);
}

import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import type { StoreEvent } from '../../src/sandbox/kube/kube-store.js';
import type { TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import type { AppState } from '../../src/state/app-state.js';
import { appStateIn } from './app-state-in-store.js';
import type { CliProcess } from './cli-process.js';

/**
 * SIGKILLs the agent the moment the stand-in cluster applies a change that
 * `at` picks (a state write recording a phase, a ReplicaSet created or
 * marked for deletion), from inside the store's listener: the API server has
 * not answered the agent yet, so the agent dies exactly there, with nothing
 * after that change done. Resolves with the state record as it was left.
 *
 * @example
 * const left = await killWhen(env.kube, deploy, (e) => stateInEvent(e)?.inFlight?.phase === 'waiting');
 */
export function killWhen(kube: KubeStandIn, agent: CliProcess, at: (e: StoreEvent) => boolean, timeoutMs = 30_000): Promise<AppState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`the moment to kill the agent never came; it printed:\n${agent.transcript()}`));
    }, timeoutMs);
    const off = kube.store.subscribe((e) => {
      if (!at(e)) return;
      agent.killNow();
      clearTimeout(timer);
      off();
      resolve(appStateIn(kube));
    });
  });
}

/**
 * SIGKILLs the agent as soon as any node's upstream file for `app` is
 * replaced: the fleet switch's commit has begun on at least one node, and
 * may have gone further on others by the time the signal lands.
 */
export function killOnUpstreamChange(nodes: readonly TestNode[], agent: CliProcess, app = 'blog', timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const watchers: FSWatcher[] = [];
    const end = (): void => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    };
    const timer = setTimeout(() => {
      end();
      reject(new Error(`no node's ${app}.conf changed; the agent printed:\n${agent.transcript()}`));
    }, timeoutMs);
    for (const node of nodes) {
      watchers.push(
        watch(join(node.dir, 'backends.d'), (_, file) => {
          if (file !== `${app}.conf`) return;
          agent.killNow();
          end();
          resolve();
        }),
      );
    }
  });
}

import { KubeApiServer, type UnservedRequest } from './kube-api-server.js';
import type { FaultInjector, RequestTarget } from './fault-injector.js';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.js';
import { KubeStore } from './kube-store.js';
import { PodLifecycle, type ImageFailure } from './pod-lifecycle.js';
import { ReplicaSetController } from './replica-set-controller.js';

export interface KubeStandInOptions {
  /** From a pod's creation to Ready (default 0: Ready on the next turns of the event loop). */
  readyDelayMs?: number;
  startDelayMs?: number;
  terminateDelayMs?: number;
  /** Past events a watch can resume from before 410 Gone. */
  historyLimit?: number;
  port?: number;
  /** HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string; cert: string };
  serverVersion?: { major: string; minor: string };
}

export interface KubeStandIn {
  url: string;
  store: KubeStore;
  faults: FaultInjector;
  /** Requests it could not serve (unknown path or verb); a strict test expects none. */
  unserved: UnservedRequest[];
  /** Every resource request it served or refused, in order: verb, group, resource, namespace, name. */
  requests: RequestTarget[];
  /** Pods whose image has this tag fail this way from now on. */
  failImage(tag: string, failure: ImageFailure): void;
  clearImageFailure(tag: string): void;
  /** A pod's readiness probe starts failing (false) or passes again (true). */
  setPodReady(namespace: string, podName: string, ready: boolean): void;
  /** Ends every open watch stream; returns how many were open. */
  closeWatches(): number;
  readonly openWatches: number;
  kubeconfig(namespace?: string): string;
  writeKubeconfig(path: string, namespace?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the stand-in Kubernetes: store, API server on 127.0.0.1 (port 0 by
 * default), ReplicaSet controller and pod lifecycle. Used in-process by the
 * tests, the benchmarks and the sandbox.
 *
 * @example
 * const kube = await startKubeStandIn({ readyDelayMs: 20 });
 * await kube.writeKubeconfig(join(dir, 'kubeconfig'));
 * kube.failImage('broken', 'ImagePullBackOff');
 * await kube.close();
 */
export async function startKubeStandIn(options: KubeStandInOptions = {}): Promise<KubeStandIn> {
  const store = new KubeStore({ ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}) });
  const controller = new ReplicaSetController(store);
  const kubelet = new PodLifecycle(store, {
    readyDelayMs: options.readyDelayMs ?? 0,
    ...(options.startDelayMs !== undefined ? { startDelayMs: options.startDelayMs } : {}),
    ...(options.terminateDelayMs !== undefined ? { terminateDelayMs: options.terminateDelayMs } : {}),
  });
  const api = new KubeApiServer(store, {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.serverVersion ? { serverVersion: options.serverVersion } : {}),
  });
  let url: string;
  try {
    url = await api.listen();
  } catch (err) {
    controller.close();
    kubelet.close();
    throw err;
  }
  return {
    url,
    store,
    faults: api.faults,
    unserved: api.unserved,
    requests: api.requests,
    failImage: (tag, failure) => kubelet.failImage(tag, failure),
    clearImageFailure: (tag) => kubelet.clearImageFailure(tag),
    setPodReady: (namespace, podName, ready) => kubelet.setReady(namespace, podName, ready),
    closeWatches: () => api.closeWatches(),
    get openWatches() {
      return api.openWatches;
    },
    kubeconfig: (namespace) => renderKubeconfig({ server: url, ...(namespace ? { namespace } : {}) }),
    writeKubeconfig: (path, namespace) => writeKubeconfig(path, { server: url, ...(namespace ? { namespace } : {}) }),
    close: async () => {
      controller.close();
      kubelet.close();
      await api.close();
    },
  };
}

import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/**
 * A kubeconfig for the stand-in API server (plain HTTP on loopback, no
 * credentials), for kubectl and for @kubernetes/client-node's loadFromFile.
 *
 * @example
 * await writeKubeconfig('/tmp/kubeconfig', { server: standIn.url, namespace: 'blog' });
 */
export interface KubeconfigOptions {
  server: string;
  namespace?: string;
  name?: string;
}

export function renderKubeconfig({ server, namespace, name = 'switchyard-stand-in' }: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // switchyard's connectKube talks plain HTTP without it, as kubectl does; other client-node 1.x
    // programs refuse plain http unless TLS verification is declared off (there is no TLS on loopback).
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: {} }],
    contexts: [{ name, context: { cluster: name, user: name, ...(namespace ? { namespace } : {}) } }],
    'current-context': name,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<string> {
  await writeFile(path, renderKubeconfig(options), { mode: 0o600 });
  return path;
}

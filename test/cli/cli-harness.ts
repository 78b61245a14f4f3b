import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CliIo } from '../../src/cli/cli-io.js';
import { run } from '../../src/cli/main.js';
import { renderKubeconfig } from '../../src/sandbox/kube/kubeconfig.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would, with captured output, no terminal, and the given environment. */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    env: { USER: 'alice' },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    ...io,
  });
  return { code, stdout, stderr };
}

/** The lines of an output, without the trailing empty one. */
export const lines = (text: string): string[] => text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);

/**
 * A TCP listener that counts every connection made to it and answers none:
 * pointed at as both the cluster and the nodes, it proves a command touched
 * nothing when its count stays 0.
 */
export async function startTripwire(): Promise<{ port: number; url: string; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SiteOptions {
  /** The Kubernetes API server's URL. */
  kubeUrl: string;
  /** sshd port of every node (all on 127.0.0.1). */
  sshPort: number;
  nodes?: string[];
  /** Extra top-level config keys, or replacements. */
  config?: Record<string, unknown>;
}

/**
 * A temporary site: kubeconfig, SSH key and known_hosts files, and a config
 * naming the app blog (namespace blog) with static nodes on loopback.
 */
export async function writeSite(options: SiteOptions): Promise<{ dir: string; configPath: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  await writeFile(join(dir, 'id_rsa'), privateKey, { mode: 0o600 });
  await writeFile(join(dir, 'known_hosts'), '');
  await writeFile(join(dir, 'kubeconfig'), renderKubeconfig({ server: options.kubeUrl }));
  const config = {
    discovery: { static: (options.nodes ?? ['node-a', 'node-b']).map((name) => ({ name, address: '127.0.0.1', port: options.sshPort })) },
    kubernetes: { kubeconfig: 'kubeconfig' },
    agent: { identity: 'cli-test', leaseSeconds: 5, pollSeconds: 0.1 },
    ssh: { user: 'deploy', privateKeyPath: 'id_rsa', knownHostsPath: 'known_hosts', connectTimeoutSeconds: 2 },
    apps: [{ name: 'blog', namespace: 'blog', portBase: 30000, drainSeconds: 0 }],
    // `serve` starts the HTTP API: on a free port, so tests never collide on 8080.
    api: { port: 0 },
    ...options.config,
  };
  const configPath = join(dir, 'switchyard.yaml');
  await writeFile(configPath, stringify(config));
  return { dir, configPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where a pod finds its service account; client-node's in-cluster config reads exactly this path. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const needsRoot = process.getuid?.() === 0 ? undefined : 'needs root: the service account files go into a private mount namespace';
const describeAsRoot = !needsRoot ? describe : process.env.CI === 'true' ? (name: string) => describe(name, () => it('runs as root', () => {
  throw new Error(needsRoot);
})) : describe.skip;

/**
 * `switchyard serve` as a pod runs it: `kubernetes.inCluster: true`, no
 * kubeconfig anywhere, the API server named by KUBERNETES_SERVICE_HOST/PORT
 * and the service account's token, CA and namespace at their usual path.
 * Those files are put there only for the agent's process, in a private
 * mount namespace with its own /run (where /var/run points).
 */
describeAsRoot('switchyard serve in the cluster, through its service account', () => {
  let kube: KubeStandIn;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-in-cluster-'));
    await mkdir(join(dir, 'serviceaccount'));
    // The API server's certificate is the cluster's CA, as a pod sees it: the agent must verify it.
    const key = join(dir, 'api.key');
    const cert = join(dir, 'serviceaccount', 'ca.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=kube-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1']);
    kube = await startKubeStandIn({ tls: { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') } });
    await writeFile(join(dir, 'serviceaccount', 'token'), 'service-account-token');
    await writeFile(join(dir, 'serviceaccount', 'namespace'), 'switchyard');
    await mkdir(join(dir, 'home'));
    await writeFile(join(dir, 'id_ed25519'), 'not used: no node is contacted\n');
    await writeFile(join(dir, 'known_hosts'), '');
    await writeFile(
      join(dir, 'switchyard.yaml'),
      `discovery: { static: [ { name: node-a, address: 127.0.0.1 } ] }
kubernetes: { inCluster: true }
ssh: { user: deploy, privateKeyPath: id_ed25519, knownHostsPath: known_hosts }
api: { port: 0 }
apps:
  - { name: blog, namespace: blog, portBase: 30000 }
`,
    );
  });
  afterAll(async () => {
    await kube?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads every app\'s state through the service account and reports ready', async () => {
    const script = `mount -t tmpfs tmpfs /run && mkdir -p ${SERVICE_ACCOUNT_DIR} && cp "$0"/* ${SERVICE_ACCOUNT_DIR}/ && exec "$@"`;
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, join(dir, 'serviceaccount'), join(root, 'node_modules', '.bin', 'tsx'), join(root, 'src', 'cli', 'main.ts'), 'serve'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: join(dir, 'home'),
        SWITCHYARD_CONFIG: join(dir, 'switchyard.yaml'),
        KUBERNETES_SERVICE_HOST: new URL(kube.url).hostname,
        KUBERNETES_SERVICE_PORT: new URL(kube.url).port,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (l) => {
          const m = /^HTTP API listening on (\S+)/.exec(l);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`serve ended before it listened:\n${stderr.join('\n')}`)));
      });
      // Ready once the agent has read every app's state; a failure to reach the API shows in its log.
      let ready = await fetch(`${url}/readyz`);
      for (let attempt = 0; ready.status !== 200 && attempt < 300; attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        ready = await fetch(`${url}/readyz`);
      }
      expect(ready.status, `${await ready.text()}\n${stderr.join('\n')}`).toBe(200);
      expect(kube.requests).toContainEqual(expect.objectContaining({ verb: 'get', resource: 'configmaps', namespace: 'blog', name: 'switchyard-blog' }));
      expect(kube.unserved).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(child.exitCode, stderr.join('\n')).toBe(0);
  });
});

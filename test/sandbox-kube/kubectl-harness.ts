import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeStandIn, type KubeStandIn, type KubeStandInOptions } from '../../src/sandbox/kube/start-kube-stand-in.js';

/**
 * The real kubectl against a stand-in of its own. /usr/bin/kubectl runs the
 * v1.27–1.33 binary that matches the server's /version, so `serverVersion`
 * picks the kubectl under test. Each harness has its own kubeconfig and
 * discovery cache.
 *
 * @example
 * const h = await startKubectlHarness({ serverVersion: { major: '1', minor: '27' } });
 * await h.kubectl('apply', '-f', await h.file('rs.yaml', manifest));
 */
export const KUBECTL = '/usr/bin/kubectl';
export const kubectlMissing = !existsSync(KUBECTL);
if (kubectlMissing && process.env.CI === 'true') throw new Error(`${KUBECTL} is missing: the kubectl checks of the stand-in cannot run`);

const run = promisify(execFile);

export interface KubectlHarness {
  kube: KubeStandIn;
  /** kubectl's stdout; rejects with its stderr in the message when it fails. */
  kubectl(...args: string[]): Promise<string>;
  /** kubectl's stderr from a run that must fail. */
  kubectlFails(...args: string[]): Promise<string>;
  spawnKubectl(...args: string[]): ChildProcessWithoutNullStreams;
  /** Writes a file into the harness's directory and answers its path. */
  file(name: string, text: string): Promise<string>;
  close(): Promise<void>;
}

export async function startKubectlHarness(options: KubeStandInOptions = {}): Promise<KubectlHarness> {
  const kube = await startKubeStandIn({ readyDelayMs: 10, ...options });
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-kubectl-'));
  const kubeconfig = await kube.writeKubeconfig(join(dir, 'kubeconfig'));
  const argv = (args: string[]) => ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args];
  const kubectl = async (...args: string[]) => {
    try {
      return (await run(KUBECTL, argv(args), { timeout: 30_000 })).stdout;
    } catch (err) {
      throw new Error(`kubectl ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  };
  return {
    kube,
    kubectl,
    kubectlFails: async (...args) => {
      const out = await run(KUBECTL, argv(args), { timeout: 30_000 }).then(
        (r) => ({ failed: false, stderr: r.stderr }),
        (err: { stderr?: string }) => ({ failed: true, stderr: err.stderr ?? '' }),
      );
      if (!out.failed) throw new Error(`kubectl ${args.join(' ')} succeeded but should have failed`);
      return out.stderr;
    },
    spawnKubectl: (...args) => spawn(KUBECTL, argv(args), { stdio: ['pipe', 'pipe', 'pipe'] }),
    file: async (name, text) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    close: async () => {
      await kube.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { spawn } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { SwitchyardError } from '../../errors/switchyard-error.js';

/** A service daemon running in this machine's own network namespace (not a sandbox node's). */
export interface HostDaemon {
  pid: number;
  program: 'nginx' | 'sshd';
}

export interface InstallResult {
  /** nginx or sshd masters that appeared while the packages were installed: the packages' own services. */
  startedByPackages: HostDaemon[];
}

/**
 * Installs Debian packages as root, the way a person would on a fresh
 * machine: `apt-get update` once, then `apt-get install -y
 * --no-install-recommends`, non-interactively, with each line apt prints
 * passed to `progress`. It never starts or stops a service itself. Whether a
 * package starts its own service is up to invoke-rc.d: a policy-rc.d that
 * exits 101 (Docker images) or no init system blocks it, but on a machine
 * booted with systemd nginx-light and openssh-server start theirs. Those are
 * the system's services now, not the sandbox's, so they are reported, never
 * killed.
 *
 * @example
 * const { startedByPackages } = await installSystemPackages(['nginx-light'], { progress: (l) => out.write(`  ${l}\n`) });
 */
export async function installSystemPackages(
  packages: readonly string[],
  options: { progress: (line: string) => void; signal?: AbortSignal },
): Promise<InstallResult> {
  const before = new Set((await hostDaemons()).map((d) => d.pid));
  await aptGet(['update'], options);
  // With stdin closed, dpkg cannot ask about a config file changed on the machine: keep the machine's.
  await aptGet(['install', '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', ...packages], options);
  return { startedByPackages: (await hostDaemons()).filter((d) => !before.has(d.pid)) };
}

function aptGet(args: string[], options: { progress: (line: string) => void; signal?: AbortSignal }): Promise<void> {
  const command = `apt-get ${args.join(' ')}`;
  options.progress(`$ ${command}`);
  return new Promise((resolve, reject) => {
    const child = spawn('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (!line.trim()) return;
        options.progress(line);
        tail.push(line);
        if (tail.length > 5) tail.shift();
      });
    }
    child.once('error', (err) =>
      reject(new SwitchyardError('internal', `${command} could not run: ${err.message}`, { cause: err, hint: 'install the packages by hand, then run the sandbox again' })),
    );
    child.once('close', (code) => {
      if (code === 0) resolve();
      else {
        reject(
          new SwitchyardError('internal', `${command} failed (exit ${code}): ${tail.at(-1) ?? 'no output'}`, {
            hint: 'fix what apt reports above (network, a held package, a dpkg lock), then run the sandbox again',
          }),
        );
      }
    });
  });
}

/** nginx and sshd processes in this process's network namespace (sandbox nodes each have their own). */
export async function hostDaemons(): Promise<HostDaemon[]> {
  const ours = await readlink('/proc/self/ns/net');
  const found: Array<HostDaemon & { ppid: number }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [status, net] = await Promise.all([
      readFile(`/proc/${entry}/status`, 'utf8').catch(() => ''),
      readlink(`/proc/${entry}/ns/net`).catch(() => ''),
    ]);
    const program = /^Name:\s*(\S+)/m.exec(status)?.[1];
    const ppid = Number(/^PPid:\s*(\d+)/m.exec(status)?.[1]);
    if ((program === 'nginx' || program === 'sshd') && net === ours) found.push({ pid: Number(entry), program, ppid });
  }
  // Masters only: an nginx worker's (or an sshd session's) parent is its master.
  const pids = new Set(found.map((d) => d.pid));
  return found.filter((d) => !pids.has(d.ppid)).map(({ pid, program }) => ({ pid, program }));
}

import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runSandbox } from '../../src/sandbox/demo/run-sandbox.js';
import { checkPrerequisites, packagesFor, TOOLS, type Prerequisites } from '../../src/sandbox/fleet/fleet-prerequisites.js';
import type { PrerequisiteDeps } from '../../src/sandbox/demo/ensure-prerequisites.js';
import type { HostDaemon } from '../../src/sandbox/demo/install-system-packages.js';

/** A machine that has every file except `without`, as a given user. */
const machine = (uid: number, without: string[] = []): Prerequisites =>
  checkPrerequisites((path) => !without.includes(path), uid);

/** Runs the sandbox against a described machine; the installer records what it was asked and "installs" by changing the machine. */
async function sandboxOn(before: Prerequisites, after: Prerequisites = before, startedByPackages: HostDaemon[] = []) {
  let out = '';
  let err = '';
  const installed: string[][] = [];
  let current = before;
  const deps: PrerequisiteDeps = {
    check: () => current,
    install: async (packages, { progress }) => {
      installed.push([...packages]);
      progress('Setting up nginx-light (1.22.1-9) ...');
      current = after;
      return { startedByPackages };
    },
  };
  // When the machine lacks something, the run must stop before starting any node: no real sandbox is needed.
  const code = await runSandbox({ out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) }, prerequisites: deps });
  return { code, out, err, installed };
}

describe('what the sandbox needs from the machine', () => {
  it('names every missing program with the package that ships it', () => {
    const p = machine(0, ['/usr/sbin/nginx', '/usr/bin/nsenter']);
    expect(p.missing.map((t) => `${t.name} ${t.package}`)).toEqual(['nginx nginx-light', 'nsenter util-linux']);
    expect(packagesFor(p.missing)).toEqual(['nginx-light', 'openssh-server', 'openssh-client', 'iproute2', 'util-linux']);
    expect(packagesFor([])).toEqual([]);
    expect(TOOLS.map((t) => t.path)).toContain('/usr/sbin/sshd');
  });

  it('as another user: says it needs root and how to run it, and starts nothing', async () => {
    const r = await sandboxOn(machine(1000, ['/usr/sbin/nginx', '/usr/sbin/sshd']));
    expect(r.code).toBe(EXIT.failed);
    expect(r.installed).toEqual([]);
    expect(r.out).toContain('needs root: the sandbox runs each node in its own network namespace');
    expect(r.out).toContain('needs nginx (/usr/sbin/nginx), from the Debian package nginx-light');
    expect(r.out).toContain('needs sshd (/usr/sbin/sshd), from the Debian package openssh-server');
    expect(r.err).toContain('run it as root: `sudo npm run demo`');
    expect(r.err).toContain('`sudo apt-get install -y --no-install-recommends nginx-light openssh-server openssh-client iproute2`');
    expect(r.out).not.toContain('Starting the sandbox');
  });

  it('as root on Debian: installs what is missing, shows apt progress, then checks again', async () => {
    const r = await sandboxOn(machine(0, ['/usr/sbin/nginx']), machine(0, ['/usr/sbin/nginx']));
    expect(r.installed).toEqual([['nginx-light', 'openssh-server', 'openssh-client', 'iproute2']]);
    expect(r.out).toContain('Missing: nginx. Installing nginx-light openssh-server openssh-client iproute2 with apt-get');
    expect(r.out).toContain('  Setting up nginx-light (1.22.1-9) ...');
    // Still missing afterwards: said so, and nothing started.
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain('still missing after installing');
    expect(r.out).not.toContain('Starting the sandbox');
  });

  it('says so when installing started the system nginx, and leaves it alone', async () => {
    const r = await sandboxOn(machine(0, ['/usr/sbin/nginx']), machine(0, ['/usr/sbin/nginx']), [{ pid: 4242, program: 'nginx' }]);
    expect(r.err).toMatch(/started this machine's own nginx service \(pid 4242\).*leaves it alone: stop it with `systemctl disable --now nginx`/);
  });

  it('as root without apt-get: names the packages to install', async () => {
    const r = await sandboxOn(machine(0, ['/usr/sbin/sshd', '/usr/bin/apt-get']));
    expect(r.code).toBe(EXIT.failed);
    expect(r.installed).toEqual([]);
    expect(r.err).toContain('no apt-get — install the equivalent of nginx-light, openssh-server, openssh-client, iproute2');
  });

  it('with --json: one prerequisites record with the problems', async () => {
    let out = '';
    const deps: PrerequisiteDeps = { check: () => machine(1000), install: () => Promise.reject(new Error('not called')) };
    const code = await runSandbox({ out: { write: (s: string) => (out += s) }, err: { write: () => undefined }, json: true, prerequisites: deps });
    expect(code).toBe(EXIT.failed);
    expect(out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { type: 'prerequisites', ok: false, problems: [expect.stringMatching(/^needs root/)] },
    ]);
  });
});

import { asSwitchyardError } from '../../errors/switchyard-error.js';
import type { DemoOutput } from './demo-output.js';
import { installSystemPackages, type InstallResult } from './install-system-packages.js';
import { checkPrerequisites, describeMissing, packagesFor, TOOLS, type Prerequisites } from '../fleet/fleet-prerequisites.js';

/** How the prerequisite check is made and how packages are installed; the real ones unless a test swaps them. */
export interface PrerequisiteDeps {
  check: () => Prerequisites;
  install: (packages: readonly string[], options: { progress: (line: string) => void; signal?: AbortSignal }) => Promise<InstallResult>;
}

const realDeps: PrerequisiteDeps = { check: () => checkPrerequisites(), install: installSystemPackages };

/**
 * Makes sure this machine can run real nodes before anything starts: as
 * root on Debian it installs what is missing (and says what it does);
 * otherwise it says exactly what is missing and how to get it. Answers true
 * when the sandbox can start.
 *
 * @example
 * if (!(await ensurePrerequisites(output, signal))) return 1;
 */
export async function ensurePrerequisites(o: DemoOutput, signal: AbortSignal, deps: PrerequisiteDeps = realDeps): Promise<boolean> {
  let p = deps.check();
  const packages = packagesFor(p.missing);
  if (p.root && p.missing.length > 0 && p.apt) {
    o.step(
      { type: 'install', packages, missing: p.missing.map((t) => t.name) },
      `Missing: ${p.missing.map((t) => t.name).join(', ')}. Installing ${packages.join(' ')} with apt-get (this machine is Debian and we are root):`,
    );
    let result: InstallResult;
    try {
      result = await deps.install(packages, { signal, progress: (line) => o.step({ type: 'install-progress', line }, `  ${line}`) });
    } catch (err) {
      if (signal.aborted) return false;
      const e = asSwitchyardError(err);
      o.step({ type: 'prerequisites', ok: false, problems: [e.message] });
      o.warn(`error: ${e.toLine()}`);
      return false;
    }
    for (const d of result.startedByPackages) {
      o.warn(
        `note: installing the packages started this machine's own ${d.program} service (pid ${d.pid}), outside the sandbox; ` +
          `the sandbox does not use it and leaves it alone: stop it with \`systemctl disable --now ${d.program === 'nginx' ? 'nginx' : 'ssh'}\` if you do not want it`,
      );
    }
    p = deps.check();
  }
  const problems = describeMissing(p);
  if (problems.length === 0) {
    o.step({ type: 'prerequisites', ok: true }, `Prerequisites: root, ${TOOLS.map((t) => t.name).join(', ')}, network namespaces: all here.`);
    return true;
  }
  o.step({ type: 'prerequisites', ok: false, problems }, 'The sandbox cannot start here:', ...problems.map((l) => `  - ${l}`));
  for (const line of whatToDo(p, packagesFor(p.missing))) o.warn(line);
  return false;
}

function whatToDo(p: Prerequisites, packages: string[]): string[] {
  const install = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!p.root) {
    return [
      'error: the sandbox needs root — run it as root: `sudo npm run demo`' +
        (packages.length > 0 ? ` (as root on Debian it installs ${packages.join(', ')} itself; or first: \`sudo ${install}\`)` : ''),
    ];
  }
  if (packages.length > 0 && !p.apt) return [`error: this machine has no apt-get — install the equivalent of ${packages.join(', ')}, then run the sandbox again`];
  if (packages.length > 0) return [`error: still missing after installing — try by hand: \`${install}\``];
  return ['error: network namespaces do not work here — run the sandbox on a machine (or a privileged container) where `ip netns add` works'];
}

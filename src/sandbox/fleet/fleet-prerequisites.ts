import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A program real test nodes need, where TestFleet runs it from, and the Debian package that ships it. */
export interface Tool {
  name: string;
  path: string;
  package: string;
}

export interface Prerequisites {
  /** Network namespaces, bridges and bind mounts need root. */
  root: boolean;
  missing: Tool[];
  /** `ip netns` works (iproute2 present and the kernel allows network namespaces). */
  netns: boolean;
  /** apt-get can install what is missing (a Debian-like system). */
  apt: boolean;
}

// The paths TestFleet starts them by; iproute2 ships /sbin/ip with or without merged /usr.
export const TOOLS: readonly Tool[] = [
  { name: 'nginx', path: '/usr/sbin/nginx', package: 'nginx-light' },
  { name: 'sshd', path: '/usr/sbin/sshd', package: 'openssh-server' },
  { name: 'ssh-keygen', path: '/usr/bin/ssh-keygen', package: 'openssh-client' },
  { name: 'ip', path: '/sbin/ip', package: 'iproute2' },
  { name: 'nsenter', path: '/usr/bin/nsenter', package: 'util-linux' },
  { name: 'unshare', path: '/usr/bin/unshare', package: 'util-linux' },
];

/** What test nodes that log in as a user without root need besides: the sudo their narrow sudoers rule is for. */
export const SUDO: Tool = { name: 'sudo', path: '/usr/bin/sudo', package: 'sudo' };

/** What `switchyard sandbox` installs when anything is missing (util-linux only when nsenter/unshare are). */
export const BASE_PACKAGES: readonly string[] = ['nginx-light', 'openssh-server', 'openssh-client', 'iproute2'];

/**
 * What this machine has of what real test nodes (the sandbox's, the tests') need, and of
 * `extra` tools some nodes need (SUDO). Reads only; `exists` is injectable so the wording
 * can be checked for any machine.
 *
 * @example
 * const p = checkPrerequisites();
 * if (!p.root) console.log(describeMissing(p).join('\n'));
 */
export function checkPrerequisites(
  exists: (path: string) => boolean = existsSync,
  uid = process.getuid?.() ?? -1,
  extra: readonly Tool[] = [],
): Prerequisites {
  const missing = [...TOOLS, ...extra].filter((t) => !exists(t.path));
  return { root: uid === 0, missing, netns: !missing.some((t) => t.name === 'ip') && netnsWorks(), apt: exists('/usr/bin/apt-get') && exists('/etc/debian_version') };
}

/** The packages to install: the base set whenever a tool is missing, plus the packages of missing tools outside it (util-linux, sudo). */
export function packagesFor(missing: readonly Tool[]): string[] {
  if (missing.length === 0) return [];
  const extra = new Set(missing.map((t) => t.package).filter((p) => !BASE_PACKAGES.includes(p)));
  return [...BASE_PACKAGES, ...extra];
}

/** Each missing piece in words, with what to do about it. */
export function describeMissing(p: Prerequisites): string[] {
  const lines: string[] = [];
  if (!p.root) {
    lines.push('needs root: the sandbox runs each node in its own network namespace (ip netns, veth, a bridge, bind mounts)');
  }
  for (const t of p.missing) lines.push(`needs ${t.name} (${t.path}), from the Debian package ${t.package}`);
  if (!p.netns && !p.missing.some((t) => t.name === 'ip')) {
    lines.push('needs network namespaces: `ip netns list` fails here (a container without CAP_SYS_ADMIN?)');
  }
  return lines;
}

function netnsWorks(): boolean {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

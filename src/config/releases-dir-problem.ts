/** Trees where no release lives and where deleting anything breaks the machine. */
const SYSTEM_TREES = ['/etc', '/proc', '/sys', '/dev', '/boot', '/run', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Folders of the system or shared by every app: the clean-up must never empty them, though releases may live below. */
const SHARED_FOLDERS = [
  '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/include', '/usr/local', '/usr/share', '/usr/src',
  '/var/lib', '/var/log', '/var/cache', '/var/spool', '/var/tmp', '/var/run', '/var/mail', '/var/backups', '/var/opt', '/var/local', '/var/www',
];

/**
 * Why `path` may not be an app's releasesDir, or undefined when it may: the
 * release clean-up deletes every folder in it but the newest few, so a root,
 * a system folder or a home would be emptied. A path with fewer than two
 * components (`/`, `/srv`) is refused too: an app's releases live in a folder
 * of their own. The node-side clean-up resolves symlinks and checks again.
 *
 * @example
 * releasesDirProblem('/srv/blog/releases'); // undefined
 * releasesDirProblem('/etc');               // "/etc is a system folder: ..."
 */
export function releasesDirProblem(path: string): string | undefined {
  const own = 'the release clean-up deletes every folder in it but the newest keepReleases: give the app a folder of its own, such as /srv/blog/releases';
  const parts = path.split('/').filter(Boolean);
  if (parts.some((p) => p === '.' || p === '..')) return `"." and ".." are not allowed, so that the path says plainly where; ${own}`;
  const plain = `/${parts.join('/')}`;
  if (parts.length < 2) return `${plain} is too near the root (fewer than two levels below /); ${own}`;
  if (SYSTEM_TREES.some((t) => plain === t || plain.startsWith(`${t}/`)) || SHARED_FOLDERS.includes(plain)) return `${plain} is a system folder; ${own}`;
  if (parts[0] === 'home' && parts.length === 2) return `${plain} is a home folder; ${own}`;
  return undefined;
}

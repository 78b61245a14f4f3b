/**
 * POSIX single-quoting: the argument reaches the remote program as exactly one
 * word, whatever it contains (quotes, `$()`, newlines, NUL-free binary).
 *
 * @example
 * shellQuote("it's") // 'it'\''s'
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A remote command from a fixed script: the script text never changes, and
 * every value reaches it as a quoted positional parameter ($1, $2 ...).
 * With sudo the whole script runs under `sudo -n`, which fails at once
 * instead of waiting for a password.
 *
 * @example
 * remoteScript('cat -- "$1"', ['/etc/nginx/backends.d/blog.conf'])
 * // sh -c 'cat -- "$1"' switchyard /etc/nginx/backends.d/blog.conf
 */
export function remoteScript(script: string, args: readonly string[], options: { sudo?: boolean } = {}): string {
  const command = ['sh', '-c', script, 'switchyard', ...args].map(shellQuote).join(' ');
  return options.sudo ? `sudo -n ${command}` : command;
}

/**
 * The narrow sudoers rule for switchyard's deploy user, the set-up that needs
 * no general sudo: the user owns the backends folder, runs switchyard's
 * scripts as itself (ssh.sudo: false), and may run as root exactly the nginx
 * commands its config names, each as `sudo -n <command>` (nginx.testCommand,
 * nginx.dumpCommand, nginx.reloadCommand). salt/switchyard/files/sudoers.jinja
 * writes the same lines (test/integration/salt-states.test.ts compares them).
 *
 * sudoers matches a command with arguments literally, so each must be written
 * in full, from an absolute path, exactly as the config runs it.
 *
 * @example
 * sudoersRule('deploy', ['/usr/sbin/nginx -t', '/usr/sbin/nginx -T', '/usr/bin/systemctl reload nginx'])
 * // Cmnd_Alias SWITCHYARD_NGINX = /usr/sbin/nginx -t, /usr/sbin/nginx -T, /usr/bin/systemctl reload nginx
 * // Defaults:deploy !requiretty
 * // deploy ALL=(root) NOPASSWD: SWITCHYARD_NGINX
 */
export function sudoersRule(user: string, commands: readonly string[]): string {
  for (const command of commands) {
    if (!command.startsWith('/')) throw new Error(`sudoers needs a command from an absolute path: ${command}`);
  }
  // Characters sudoers reads as syntax or wildcards in arguments stand for themselves once escaped.
  const escaped = commands.map((c) => c.replace(/[\\,:=*?[\]]/g, (ch) => `\\${ch}`));
  return `Cmnd_Alias SWITCHYARD_NGINX = ${escaped.join(', ')}
Defaults:${user} !requiretty
${user} ALL=(root) NOPASSWD: SWITCHYARD_NGINX
`;
}

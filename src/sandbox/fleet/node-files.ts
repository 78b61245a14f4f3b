import type { VhostApp } from '../../fleet/nginx-templates.js';

/**
 * Config files of one test node. Every node sees its own folder at the same
 * path (`mount`, bind-mounted in the node's mount namespace), so one
 * switchyard config with one backendsDir, pid file and nginx command serves
 * the whole test fleet, as one config serves a real one.
 */
export interface TestApp {
  name: string;
  portBase: number;
  /** The app's nginx upstream, as its config names it; `<name>LB` when unset. */
  upstreamName?: string;
  /** Its vhost's preview routes (apps[].preview), when the test configures one. */
  preview?: VhostApp['preview'];
}

export const sshdConfig = (mount: string, address: string, authorizedKeys: string): string => `Port 22
ListenAddress ${address}
HostKey ${mount}/ssh_host_ed25519_key
PidFile ${mount}/sshd.pid
AuthorizedKeysFile ${authorizedKeys}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
UseDNS no
StrictModes no
MaxStartups 200:30:400
MaxSessions 50
LogLevel ERROR
Subsystem sftp internal-sftp
`;

const tempPaths = (dir: string): string =>
  ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n');

/** The node's front nginx: the vhosts and the app upstream files in backends.d. */
export const frontNginxConfig = (mount: string): string => `worker_processes 1;
pid ${mount}/nginx.pid;
error_log ${mount}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
${tempPaths(`${mount}/tmp`)}
  include ${mount}/backends.d/*.conf;
  include ${mount}/sites/*.conf;
}
`;

/**
 * Stand-ins for kube-proxy's NodePorts, on every address of the node as
 * kube-proxy listens (the front nginx reaches them on 127.0.0.1, smoke checks
 * and preview URLs on the node's address), run by a second nginx so that
 * reloading the front nginx never touches them. Each answers with its
 * colour, or passes the request to `upstream` (the sandbox's responder, which
 * answers with the version of that colour's Ready pods).
 */
export const responderNginxConfig = (mount: string, node: string, apps: readonly TestApp[], upstream?: string): string => {
  const servers = apps.flatMap((app) =>
    (['blue', 'green'] as const).map((colour, i) => {
      const body = upstream
        ? `location / { proxy_pass ${upstream}/${app.name}/${colour}/; proxy_set_header X-Node ${node}; }`
        : `location / { add_header X-Colour ${colour}; return 200 "${app.name} ${colour}\\n"; }`;
      return `  server { listen ${app.portBase + i}; ${body} }`;
    }),
  );
  return `worker_processes 1;
pid ${mount}/responders.pid;
error_log ${mount}/logs/responders.log warn;
events { worker_connections 1024; }
http {
  access_log off;
${tempPaths(`${mount}/rtmp`)}
${servers.join('\n')}
}
`;
};

/** The user switchyard logs in as on test nodes without root; a name no machine is likely to have already. */
export const DEPLOY_USER = 'sy-deploy';

/** This machine's user and group databases, which a node's copies extend. */
export interface HostAccounts {
  passwd: string;
  group: string;
  shadow: string;
}

/**
 * A node's /etc files when switchyard logs in as DEPLOY_USER: this machine's
 * accounts plus that user (key login only: `*` matches no password, unlike
 * `!`, which sshd without PAM takes for a locked account), and a sudoers
 * file with Debian's defaults (use_pty included), root's rule and
 * switchyard's narrow rule. They are bind-mounted over the originals in the
 * node's mount namespace, so this machine's accounts never change.
 */
export function deployUserFiles(host: HostAccounts, uid: number, home: string, rule: string): Record<'passwd' | 'group' | 'shadow' | 'sudoers', string> {
  const line = (text: string, add: string): string => `${text.replace(/\n*$/, '\n')}${add}\n`;
  return {
    passwd: line(host.passwd, `${DEPLOY_USER}:x:${uid}:${uid}:switchyard:${home}:/bin/sh`),
    group: line(host.group, `${DEPLOY_USER}:x:${uid}:`),
    shadow: line(host.shadow, `${DEPLOY_USER}:*:19000:0:99999:7:::`),
    sudoers: `Defaults env_reset
Defaults mail_badpass
Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults use_pty
root ALL=(ALL:ALL) ALL
${rule}`,
  };
}

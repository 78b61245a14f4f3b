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

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NginxConfig, SshConfig } from '../../config/schema.js';
import type { FleetNode } from '../../discovery/fleet-node.js';
import { renderUpstreamFile, renderVhostFile } from '../../fleet/nginx-templates.js';
import { sudoersRule } from '../../fleet/sudoers-rule.js';
import type { Colour } from '../../validate/patterns.js';
import { SUDO, checkPrerequisites, describeMissing } from './fleet-prerequisites.js';
import { type TestApp, DEPLOY_USER, deployUserFiles, frontNginxConfig, responderNginxConfig, sshdConfig } from './node-files.js';
import { run } from './run.js';

export interface TestFleetOptions {
  size: number;
  apps?: TestApp[];
  /** Colour each app's upstream file starts with. */
  live?: Colour;
  /**
   * When set, NodePort responders pass requests to `${url}/<app>/<colour>/`,
   * where url is what this returns, given the address of the fleet's gateway
   * (the root namespace's end of the bridge, reachable from every node).
   */
  responderUpstream?: (gateway: string) => Promise<string>;
  /**
   * Who switchyard logs in as: root (the default), or `deploy`: a user
   * without root who owns the backends folder and may run, through sudo,
   * exactly the nginx test, dump and reload commands (the narrow sudoers
   * rule production uses); nginx and its pid file stay root's.
   */
  login?: 'root' | 'deploy';
}

export interface TestNode extends FleetNode {
  namespace: string;
  /** The node's own folder, seen from outside its namespaces. */
  dir: string;
  holderPid: number;
  /** The node's network interface, inside its namespace. */
  link: string;
}

const NGINX = '/usr/sbin/nginx';
const SSHD = '/usr/sbin/sshd';

/** Why a test fleet cannot start here, or null when it can. */
export function testFleetUnsupported(options: Pick<TestFleetOptions, 'login'> = {}): string | null {
  const missing = describeMissing(checkPrerequisites(undefined, undefined, options.login === 'deploy' ? [SUDO] : []));
  return missing.length > 0 ? missing.join('; ') : null;
}

/**
 * A fleet of real nodes on one machine: each node is a network namespace with
 * its own address on a private bridge, its own sshd (own host key, key-only
 * auth), its own nginx with the apps' upstream files and vhosts, and NodePort
 * responders on 127.0.0.1 inside the namespace. Everything it starts lives in
 * its namespaces and is stopped by close().
 *
 * @example
 * const fleet = await TestFleet.start({ size: 3 });
 * try { ... fleet.nodes, fleet.sshConfig, fleet.nginxConfig ... } finally { await fleet.close(); }
 */
export class TestFleet {
  readonly nodes: TestNode[] = [];
  readonly apps: TestApp[];
  readonly root: string;
  /** Where every node sees its own folder. */
  readonly mount: string;
  readonly subnet: string;
  readonly login: 'root' | 'deploy';
  private readonly id: string;
  private bridgeUp = false;
  /** The deploy user's uid (and gid), when it logs in as `deploy`. */
  private deployUid: number | undefined;

  private constructor(root: string, apps: TestApp[], subnet: string, id: string, login: 'root' | 'deploy') {
    this.root = root;
    this.apps = apps;
    this.subnet = subnet;
    this.id = id;
    this.login = login;
    this.mount = join(root, 'node');
  }

  static async start(options: TestFleetOptions): Promise<TestFleet> {
    const reason = testFleetUnsupported(options);
    if (reason) throw new Error(`cannot start a test fleet: ${reason}`);
    const root = await mkdtemp(join(tmpdir(), 'switchyard-fleet-'));
    const id = Math.random().toString(16).slice(2, 6);
    const fleet = new TestFleet(root, options.apps ?? [{ name: 'blog', portBase: 30000 }], await freeSubnet(), id, options.login ?? 'root');
    try {
      await fleet.setUp(options);
    } catch (err) {
      await fleet.close();
      throw err;
    }
    return fleet;
  }

  /** The switchyard ssh config for this fleet. */
  get sshConfig(): SshConfig {
    return {
      user: this.login === 'deploy' ? DEPLOY_USER : 'root',
      privateKeyPath: join(this.root, 'client_key'),
      knownHostsPath: join(this.root, 'known_hosts'),
      concurrency: 20,
      sudo: false,
      connectTimeoutSeconds: 5,
      commandTimeoutSeconds: 20,
      keepaliveSeconds: 15,
    };
  }

  /** The switchyard nginx config for this fleet: the same paths on every node. */
  get nginxConfig(): NginxConfig {
    const sudo = this.login === 'deploy' ? 'sudo -n ' : '';
    const { test, dump, reload } = this.nginxCommands;
    return {
      backendsDir: `${this.mount}/backends.d`,
      testCommand: `${sudo}${test}`,
      dumpCommand: `${sudo}${dump}`,
      reloadCommand: `${sudo}${reload}`,
      pidFile: `${this.mount}/nginx.pid`,
      reloadConfirmSeconds: 3,
    };
  }

  /** nginx's test, dump and reload commands, as root runs them: what the deploy user's sudoers rule allows. */
  private get nginxCommands(): { test: string; dump: string; reload: string } {
    const flags = `-p ${this.mount}/ -c ${this.mount}/nginx.conf`;
    return { test: `${NGINX} -t -q ${flags}`, dump: `${NGINX} -T -q ${flags}`, reload: `${NGINX} -s reload ${flags}` };
  }

  /** Where every node's vhost of `app` writes the gate's access log (gate.accessLog). */
  accessLog(app: string): string {
    return `${this.mount}/logs/switchyard-${app}.access.log`;
  }

  /** URL of a node's front nginx, which sends traffic to the app's live colour. */
  url(node: FleetNode, path = '/'): string {
    return `http://${node.address}${path}`;
  }

  /** The fleet's bridge in the root namespace. */
  get bridge(): string {
    return `sy${this.id}br`;
  }

  /** The root namespace's address on the fleet's bridge. */
  get gateway(): string {
    return `${this.subnet}.1`;
  }

  private async setUp(options: TestFleetOptions): Promise<void> {
    const bridge = this.bridge;
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    this.bridgeUp = true;
    await run('ip', ['addr', 'add', `${this.gateway}/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    const upstream = await options.responderUpstream?.(this.gateway);
    await mkdir(this.mount);
    await mkdir('/run/sshd', { recursive: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'switchyard-test', '-f', join(this.root, 'client_key')]);
    await writeFile(join(this.root, 'authorized_keys'), await readFile(join(this.root, 'client_key.pub')));
    if (this.login === 'deploy') await this.addDeployUser();
    for (let i = 1; i <= options.size; i++) this.nodes.push(await this.addNode(i, bridge, options.live ?? 'blue', upstream));
    await this.writeKnownHosts();
  }

  private async addNode(i: number, bridge: string, live: Colour, upstream: string | undefined): Promise<TestNode> {
    const namespace = `sy-${this.id}-${i}`;
    const [host, peer] = [`sy${this.id}h${i}`, `sy${this.id}n${i}`];
    const address = `${this.subnet}.${10 + i}`;
    await run('ip', ['netns', 'add', namespace]);
    await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    await run('ip', ['link', 'set', peer, 'netns', namespace]);
    await run('ip', ['link', 'set', host, 'master', bridge, 'up']);
    await run('ip', ['-n', namespace, 'addr', 'add', `${address}/24`, 'dev', peer]);
    await run('ip', ['-n', namespace, 'link', 'set', peer, 'up']);
    await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);

    const name = `node-${i}`;
    const dir = join(this.root, 'nodes', name);
    await this.writeNodeFiles(dir, name, address, live, upstream);
    const holderPid = await this.startHolder(namespace, dir);
    const node: TestNode = { name, address, port: 22, namespace, dir, holderPid, link: peer };
    await this.inNode(node, NGINX, ['-p', `${this.mount}/`, '-c', `${this.mount}/responders.conf`]);
    await this.inNode(node, NGINX, ['-p', `${this.mount}/`, '-c', `${this.mount}/nginx.conf`]);
    await this.startSshd(node);
    return node;
  }

  /**
   * Switchyard's login without root: its own account in every node's /etc
   * (see deployUserFiles), a fleet folder it can walk into, and sudo for
   * exactly nginx's test, dump and reload.
   */
  private async addDeployUser(): Promise<void> {
    const host = {
      passwd: await readFile('/etc/passwd', 'utf8'),
      group: await readFile('/etc/group', 'utf8'),
      shadow: await readFile('/etc/shadow', 'utf8'),
    };
    const taken = new Set([host.passwd, host.group].flatMap((text) => text.split('\n').map((l) => Number(l.split(':')[2]))));
    let uid = 4200;
    while (taken.has(uid)) uid++;
    this.deployUid = uid;
    const { test, dump, reload } = this.nginxCommands;
    const files = deployUserFiles(host, uid, `${this.mount}/deploy-home`, sudoersRule(DEPLOY_USER, [test, dump, reload]));
    await mkdir(join(this.root, 'etc'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(this.root, 'etc', name), text, { mode: name === 'passwd' || name === 'group' ? 0o644 : 0o440 });
    // The user reads authorized_keys and its node's folder through the fleet's (mkdtemp: 0700) folder.
    await chmod(this.root, 0o755);
  }

  private async writeNodeFiles(dir: string, name: string, address: string, live: Colour, upstream: string | undefined): Promise<void> {
    for (const sub of ['backends.d', 'sites', 'logs', 'tmp', 'rtmp', 'releases', 'home', 'deploy-home']) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, 'nginx.conf'), frontNginxConfig(this.mount));
    await writeFile(join(dir, 'responders.conf'), responderNginxConfig(this.mount, name, this.apps, upstream));
    await writeFile(join(dir, 'sshd_config'), sshdConfig(this.mount, address, join(this.root, 'authorized_keys')));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, 'ssh_host_ed25519_key')]);
    for (const [index, app] of this.apps.entries()) {
      await writeFile(join(dir, 'backends.d', `${app.name}.conf`), renderUpstreamFile(app, live));
      const listen = index === 0 ? '80 default_server' : '80';
      await writeFile(join(dir, 'sites', `${app.name}.conf`), renderVhostFile(app, { listen, serverName: app.name, backendsDir: `${this.mount}/backends.d`, accessLog: this.accessLog(app.name) }));
    }
    const uid = this.deployUid;
    if (uid !== undefined) {
      // What the deploy user owns on a node: the backends folder and its files, release folders, its home.
      const owned = ['backends.d', ...this.apps.map((a) => `backends.d/${a.name}.conf`), 'releases', 'deploy-home'];
      for (const path of owned) await chown(join(dir, path), uid, uid);
    }
  }

  /**
   * A process that holds the node's mount namespace, where the node's folder
   * is bind-mounted at `mount` and an empty home over /root, so SSH sessions
   * do not run this machine's dotfiles, and, for a deploy user, the fleet's
   * account files over /etc's; everything else in the node is started inside
   * it with nsenter.
   */
  private async startHolder(namespace: string, dir: string): Promise<number> {
    const etc = this.login === 'deploy' ? join(this.root, 'etc') : '';
    const child = spawn(
      'unshare',
      ['--mount', '--propagation', 'private', 'nsenter', `--net=/run/netns/${namespace}`,
        'sh', '-c',
        `mount --bind "$1" "$2" && mount --bind "$1/home" /root &&
         for f in \${3:+passwd group shadow sudoers}; do mount --bind "$3/$f" "/etc/$f" || exit 1; done &&
         touch "$2/.ready" && exec sleep infinity`,
        'holder', dir, this.mount, etc],
      { detached: true, stdio: 'ignore' },
    );
    child.unref();
    for (let waited = 0; !existsSync(join(dir, '.ready')); waited += 5) {
      if (waited > 5000 || child.exitCode !== null) throw new Error(`node namespace ${namespace} did not come up`);
      await sleep(5);
    }
    return child.pid!;
  }

  /** Runs a program inside a node's network and mount namespaces. */
  inNode(node: TestNode, file: string, args: readonly string[]): Promise<string> {
    return run('nsenter', ['-t', String(node.holderPid), '-m', '-n', '--', file, ...args]);
  }

  async startSshd(node: TestNode): Promise<void> {
    await this.inNode(node, SSHD, ['-f', `${this.mount}/sshd_config`, '-E', `${this.mount}/logs/sshd.log`]);
    // sshd may return before it listens; a node is up once it accepts.
    for (let waited = 0; !(await accepts(node.address, 22)); waited += 10) {
      if (waited > 5000) throw new Error(`sshd on ${node.name} did not start listening`);
      await sleep(10);
    }
  }

  /** Stops the node's sshd and every session it serves, as a crashed or firewalled node would. */
  async stopSshd(node: TestNode): Promise<void> {
    for (const pid of await this.pidsIn(node.namespace)) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'sshd') killQuietly(pid, 'SIGKILL');
    }
    await rm(join(node.dir, 'sshd.pid'), { force: true });
  }

  /**
   * Takes the node's network link down, as a node that vanished or lost its
   * network would be: open connections get no answer and no reset. Or back up.
   */
  async setLink(node: TestNode, state: 'up' | 'down'): Promise<void> {
    await run('ip', ['-n', node.namespace, 'link', 'set', node.link, state]);
  }

  /** Gives the node a new host key, as a rebuilt (or impersonated) node would present. */
  async replaceHostKey(node: TestNode): Promise<void> {
    await this.stopSshd(node);
    await rm(join(node.dir, 'ssh_host_ed25519_key'), { force: true });
    await rm(join(node.dir, 'ssh_host_ed25519_key.pub'), { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(node.dir, 'ssh_host_ed25519_key')]);
    await this.startSshd(node);
  }

  /** The pid of a node's front nginx master. */
  async nginxMaster(node: TestNode): Promise<number> {
    return Number((await readFile(join(node.dir, 'nginx.pid'), 'utf8')).trim());
  }

  private async writeKnownHosts(): Promise<void> {
    const lines = await Promise.all(
      this.nodes.map(async (n) => {
        const [type, key] = (await readFile(join(n.dir, 'ssh_host_ed25519_key.pub'), 'utf8')).split(' ');
        return `${n.address} ${type} ${key}`;
      }),
    );
    await writeFile(join(this.root, 'known_hosts'), `${lines.join('\n')}\n`);
    await chmod(join(this.root, 'client_key'), 0o600);
  }

  private async pidsIn(namespace: string): Promise<number[]> {
    const out = await run('ip', ['netns', 'pids', namespace]).catch(() => '');
    return out.split('\n').filter(Boolean).map(Number);
  }

  /** Stops every process in the fleet's namespaces (all of them ours) and removes the namespaces and files. */
  async close(): Promise<void> {
    // Every namespace of this fleet, also one whose node never finished starting.
    const namespaces = (await readdir('/run/netns').catch(() => [])).filter((n) => n.startsWith(`sy-${this.id}-`));
    for (const namespace of namespaces) {
      // Until none is left: an nginx reloading as we kill may fork workers after a listing.
      for (let round = 0; round < 50; round++) {
        const pids = await this.pidsIn(namespace);
        if (pids.length === 0) break;
        for (const pid of pids) killQuietly(pid, 'SIGKILL');
        await sleep(10);
      }
      await run('ip', ['netns', 'del', namespace]).catch(() => undefined);
    }
    if (this.bridgeUp) await run('ip', ['link', 'del', this.bridge]).catch(() => undefined);
    await rm(this.root, { recursive: true, force: true }).catch(() => undefined);
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 500 });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false)).once('timeout', () => done(false));
  });
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** A /24 in 10.213.0.0/16 that no interface or route on this machine uses. */
async function freeSubnet(): Promise<string> {
  const used = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let tries = 0; tries < 50; tries++) {
    const candidate = `10.213.${Math.floor(Math.random() * 256)}`;
    if (!used.includes(`${candidate}.`)) return candidate;
  }
  throw new Error('no free test subnet in 10.213.0.0/16');
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { NodeSSH } from 'node-ssh';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { SshConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import { SwitchyardError, asSwitchyardError } from '../errors/switchyard-error.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { checkNodeAddress } from '../validate/patterns.js';
import { type HostKeyVerdict, KnownHosts, hostKeyAlgorithms, knownHostsName } from './known-hosts.js';
import { remoteScript } from './shell-quote.js';

export interface SshPoolOptions {
  user: string;
  privateKey: string;
  knownHosts: KnownHosts;
  /** Shown in host key errors so people know which file to fix. */
  knownHostsPath: string;
  concurrency: number;
  sudo: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  keepaliveMs: number;
  /** Where a connection lost between commands is reported (no command is there to fail with it). */
  log?: Logger;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

const label = (node: FleetNode): string => `${node.name} (${node.address}:${node.port})`;

/** OpenSSH's fingerprint format, for messages people compare with ssh-keygen -lf. */
const fingerprint = (key: Buffer): string => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

/**
 * SSH connections to the fleet, opened once per node and reused, with host
 * keys checked against known_hosts, a connect timeout, keepalive, a
 * per-command timeout (ssh2's exec has none) and bounded parallelism. A
 * connection that fails (keepalive unanswered, reset) is logged and
 * forgotten, never thrown: the next command dials again.
 *
 * @example
 * const pool = await SshPool.fromConfig(config.ssh, { log });
 * const results = await pool.forEach(nodes, (node) => pool.exec(node, 'cat -- "$1"', [file]));
 * await pool.close();
 */
export class SshPool {
  private readonly connections = new Map<string, Promise<NodeSSH>>();
  private readonly options: SshPoolOptions;
  private readonly log: Logger;
  readonly limit: LimitFunction;

  constructor(options: SshPoolOptions) {
    this.options = options;
    this.log = options.log ?? silentLogger;
    this.limit = pLimit(options.concurrency);
  }

  static async fromConfig(ssh: SshConfig, options: { log?: Logger } = {}): Promise<SshPool> {
    const read = async (path: string, what: string): Promise<string> => {
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        throw new SwitchyardError('config-invalid', `cannot read the SSH ${what} ${path}: ${(err as NodeJS.ErrnoException).code}`, {
          hint: `set ssh.${what === 'private key' ? 'privateKeyPath' : 'knownHostsPath'} in the config to a readable file`,
          cause: err,
        });
      }
    };
    return new SshPool({
      user: ssh.user,
      privateKey: await read(ssh.privateKeyPath, 'private key'),
      knownHosts: KnownHosts.parse(await read(ssh.knownHostsPath, 'known_hosts file')),
      knownHostsPath: ssh.knownHostsPath,
      concurrency: ssh.concurrency,
      sudo: ssh.sudo,
      connectTimeoutMs: ssh.connectTimeoutSeconds * 1000,
      commandTimeoutMs: ssh.commandTimeoutSeconds * 1000,
      keepaliveMs: ssh.keepaliveSeconds * 1000,
      log: options.log,
    });
  }

  /** How long a command may run unless the caller says otherwise. */
  get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs;
  }

  /** Runs fn for every item (a node, or work about one), at most `concurrency` at once; never rejects. */
  forEach<I, T>(items: readonly I[], fn: (item: I) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
    return Promise.allSettled(items.map((item) => this.limit(() => fn(item))));
  }

  connect(node: FleetNode): Promise<NodeSSH> {
    const key = `${node.address}:${node.port}`;
    const kept = this.connections.get(key);
    if (kept) return kept;
    const connection = this.open(node);
    this.connections.set(key, connection);
    // A failed, dropped or broken connection is forgotten so the next call
    // dials again; only this one, not one dialled since in its place.
    const forget = (): void => {
      if (this.connections.get(key) === connection) this.connections.delete(key);
    };
    connection.then((ssh) => {
      // node-ssh listens for errors only while connecting. An error with no
      // listener (a keepalive unanswered, a reset by a rebooted node) would
      // throw out of ssh2 and end the agent, so this one stays for good.
      ssh.connection?.once('close', forget).on('error', (err) => {
        this.log.warn({ err, node: node.name, address: node.address }, 'SSH connection lost; the next command to the node dials again');
        forget();
        // Ended here, as close() no longer finds it.
        ssh.dispose();
      });
    }, forget);
    return connection;
  }

  private async open(node: FleetNode): Promise<NodeSSH> {
    checkNodeAddress(node.address);
    const { knownHosts, knownHostsPath } = this.options;
    const types = knownHosts.keyTypes(node.address, node.port);
    if (types.length === 0) {
      throw new SwitchyardError('ssh-host-key-unknown', `${label(node)}: no host key for ${knownHostsName(node.address, node.port)} in ${knownHostsPath}`, {
        hint: `verify the node's fingerprint out of band, then add its key to ${knownHostsPath}`,
      });
    }
    let verdict: HostKeyVerdict | undefined;
    let offered: Buffer | undefined;
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: node.address,
        port: node.port,
        username: this.options.user,
        privateKey: this.options.privateKey,
        readyTimeout: this.options.connectTimeoutMs,
        keepaliveInterval: this.options.keepaliveMs,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: hostKeyAlgorithms(types) as never },
        hostVerifier: (key: Buffer) => {
          offered = key;
          verdict = knownHosts.verify(node.address, node.port, key);
          return verdict === 'trusted';
        },
      });
    } catch (err) {
      ssh.dispose();
      if (verdict === 'changed') {
        throw new SwitchyardError('ssh-host-key-mismatch', `${label(node)}: host key changed (offered ${fingerprint(offered!)}), connection refused`, {
          hint: `if the node was rebuilt, replace its line in ${knownHostsPath} after checking the new fingerprint; otherwise treat it as an attack`,
          cause: err,
        });
      }
      throw connectError(node, err);
    }
    // Each command is a few small packets each way; without this, Nagle's
    // algorithm and delayed ACKs add about 40 ms to every command.
    ssh.connection?.setNoDelay(true);
    // Every command in flight listens for the connection's errors (node-ssh
    // while its channel opens, exec until it ends), so several apps' commands
    // on one node pass Node's default of 10 and it warns of a leak. sshd caps
    // the sessions on a connection (MaxSessions, 10 by default); this leaves
    // room for 30 commands, and a real leak would still be told.
    ssh.connection?.setMaxListeners(2 * 30 + 1);
    return ssh;
  }

  /**
   * Runs a fixed script with quoted arguments on a node. Resolves with the
   * exit code (non-zero included); rejects when the node cannot be reached,
   * the command outlives its timeout, or it ends without an exit code.
   */
  async exec(
    node: FleetNode,
    script: string,
    args: readonly string[],
    options: { stdin?: string | Readable; timeoutMs?: number; onStdout?: (chunk: Buffer) => void; signal?: AbortSignal } = {},
  ): Promise<ExecResult> {
    const ssh = await this.connect(node);
    const client = ssh.connection;
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs;
    let channel: ClientChannel | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let onLost: ((err: Error) => void) | undefined;
    // Ends the remote command (timeout or cancel) and rejects with why.
    const stopped = new Promise<never>((_, reject) => {
      const stop = (err: SwitchyardError): void => {
        channel?.signal('KILL');
        channel?.close();
        reject(err);
      };
      timer = setTimeout(() => {
        stop(new SwitchyardError('ssh-command-timeout', `${label(node)}: command did not finish within ${timeoutMs / 1000} s`, {
          hint: 'check the node for a hung nginx or a full disk; raise ssh.commandTimeoutSeconds if it is merely slow',
        }));
      }, timeoutMs);
      onAbort = () => stop(new SwitchyardError('ssh-command-failed', `${label(node)}: command cancelled`));
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      // A connection that fails under the command fails it with why; its
      // channel would only end without an exit code.
      onLost = (err) => reject(connectionLost(node, err));
      client?.once('error', onLost);
    });
    try {
      const result = await Promise.race([
        ssh.execCommand(remoteScript(script, args, { sudo: this.options.sudo }), {
          stdin: options.stdin,
          onStdout: options.onStdout,
          noTrim: true,
          onChannel: (c) => (channel = c),
        }),
        stopped,
      ]);
      if (result.code === null) {
        throw new SwitchyardError('ssh-command-failed', `${label(node)}: command ended without an exit code${result.signal ? ` (signal ${result.signal})` : ''}`, {
          hint: 'the remote shell was killed or the connection dropped; check the node and try again',
        });
      }
      return { stdout: result.stdout, stderr: result.stderr, code: result.code };
    } catch (err) {
      if (err instanceof SwitchyardError) throw err;
      const e = err as Error & { code?: string };
      if (['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code ?? '') || /not connected|no response from server/i.test(e.message)) throw connectionLost(node, err);
      throw new SwitchyardError('ssh-command-failed', `${label(node)}: ${e.message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      if (onLost) client?.removeListener('error', onLost);
    }
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const settled of await Promise.allSettled(all)) if (settled.status === 'fulfilled') settled.value.dispose();
  }
}

/** The connection under a command failed: the node, its sshd or the network between went away. */
function connectionLost(node: FleetNode, err: unknown): SwitchyardError {
  const e = err as Error & { code?: string };
  return new SwitchyardError('ssh-connect-failed', `${label(node)}: SSH connection lost (${e.code ?? e.message})`, {
    hint: 'check that the node and its sshd are up; then try again',
    cause: err,
  });
}

function connectError(node: FleetNode, err: unknown): SwitchyardError {
  const e = err as Error & { code?: string; level?: string };
  if (e.level === 'client-authentication') {
    return new SwitchyardError('ssh-auth-failed', `${label(node)}: the node refused our SSH key`, {
      hint: "add switchyard's public key to the deploy user's authorized_keys on the node",
      cause: err,
    });
  }
  const why =
    e.code === 'ECONNREFUSED' ? 'connection refused (is sshd running?)'
    : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'host unreachable'
    : /timed out/i.test(e.message) ? 'timed out while connecting'
    : e.message;
  return new SwitchyardError('ssh-connect-failed', `${label(node)}: cannot connect over SSH: ${why}`, {
    hint: 'check that the node is up, sshd is running and the security group allows us; then try again',
    cause: asSwitchyardError(err),
  });
}

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import type { SandboxEnv } from '../sandbox-env.js';

/** What a sandbox consists of on this machine: its nodes' namespaces, every process in them, its folders, its servers. */
export interface SandboxFootprint {
  namespaces: string[];
  pids: number[];
  dirs: string[];
  /** Each listening server by name, with its URL (http://127.0.0.1:<port>...). */
  servers: Record<string, string>;
}

/**
 * Takes stock of a running sandbox, so that once it is closed
 * `findLeftovers` can prove nothing of it remains (or say what does). Its
 * own stand-ins are counted; `servers` adds those started beside it.
 *
 * @example
 * const footprint = await sandboxFootprint(env, { 'the agent\'s HTTP API': apiUrl });
 * await env.close();
 * const left = await findLeftovers(footprint); // [] when everything is gone
 */
export async function sandboxFootprint(env: SandboxEnv, servers: Record<string, string> = {}): Promise<SandboxFootprint> {
  const namespaces = env.fleet.nodes.map((n) => n.namespace);
  const inside = await Promise.all(namespaces.map((ns) => netnsPids(ns)));
  return {
    namespaces,
    pids: [...new Set([...env.fleet.nodes.map((n) => n.holderPid), ...inside.flat()])],
    dirs: [env.fleet.root, dirname(env.configPath)],
    servers: { 'the Kubernetes stand-in': env.kube.url, 'the EC2 stand-in': env.ec2.endpoint, ...servers },
  };
}

/** What of a closed sandbox is still there, in words. */
export async function findLeftovers(f: SandboxFootprint): Promise<string[]> {
  const left: string[] = [];
  const listed = await netnsList();
  for (const ns of f.namespaces) if (listed.includes(ns)) left.push(`network namespace ${ns}`);
  for (const pid of f.pids) if (await isAlive(pid)) left.push(`process ${pid}`);
  for (const dir of f.dirs) if (existsSync(dir)) left.push(`folder ${dir}`);
  for (const [name, url] of Object.entries(f.servers)) if (await isListening(url)) left.push(`${name} still listening on ${url}`);
  return left;
}

/** Whether anything accepts connections at the URL's host and port. */
function isListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: 2000 });
    const answer = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => answer(true)).once('error', () => answer(false)).once('timeout', () => answer(true));
  });
}

/** A process that exists and is not a zombie waiting for its parent to collect it. */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  // The state follows the command name in parentheses, which may itself hold spaces or parentheses.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('ip', args, (err, stdout) => resolve(err ? '' : stdout)));
}

const netnsPids = async (ns: string): Promise<number[]> => (await ip(['netns', 'pids', ns])).split('\n').filter(Boolean).map(Number);
const netnsList = async (): Promise<string[]> => (await ip(['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);

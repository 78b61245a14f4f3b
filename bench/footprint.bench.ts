/**
 * `footprint`: what `switchyard serve` costs with 50 apps and 200 nodes
 * configured, against the stand-in cluster, EC2 (200 running instances
 * carrying the discovery tags) and Slack (Socket Mode), as in production. The agent is the compiled CLI (what the image
 * runs: `node dist/cli/main.js serve`), built into a folder of the bench's own.
 * - startMs: from spawning the process to its first 200 on /readyz (every
 *   app's state read in the cluster) with its Slack connection open.
 * - cpuMs: the CPU time (user + system) the process had used by then: on a
 *   machine shared with other work, the part of startMs that is the agent's.
 * - rssMb: its resident memory once ready and settled (a few seconds later:
 *   the watches of all 50 namespaces open, the first resume pass done).
 * At start, serve reads each app's state and watches the cluster, and the
 * leader's first drift check discovers the 200 instances (loading the AWS
 * SDK) and tries to read them over SSH: they are addresses nothing answers
 * here, so those reads wait for their connect timeout.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { ec2Instance } from '../src/sandbox/ec2/ec2-instance.js';
import { startEc2StandIn } from '../src/sandbox/ec2/start-ec2-stand-in.js';
import { startKubeStandIn } from '../src/sandbox/kube/start-kube-stand-in.js';
import { startSlackStandIn } from '../src/sandbox/slack/start-slack-stand-in.js';
import { round } from './figures.js';
import { freePort } from '../test/support/free-port.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const APPS = 50;
const NODES = 200;
const SETTLE_MS = 3000;


/** utime + stime of /proc/<pid>/stat, in ms (the kernel counts in ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const rssMb = async (pid: number): Promise<number> => Number(/^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

export default async function* footprintBench(): AsyncGenerator<{ name: string } & Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-footprint-'));
  const kube = await startKubeStandIn();
  const slack = await startSlackStandIn();
  const tags = { Role: 'k8s-node', Cluster: 'bench' };
  const ec2 = await startEc2StandIn({
    instances: Array.from({ length: NODES }, (_, i) =>
      ec2Instance({ id: `i-${(i + 1).toString(16).padStart(17, '0')}`, name: `node-${i}`, privateIp: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, tags }),
    ),
  });
  try {
    // What the image runs: the compiled CLI, resolving the checkout's production dependencies.
    await run('npm', ['run', 'build'], { cwd: root });
    await cp(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));

    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_ed25519')]);
    const hostKey = (await readFile(join(dir, 'id_ed25519.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    await writeFile(join(dir, 'known_hosts'), Array.from({ length: NODES }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1} ${hostKey}\n`).join(''));
    const port = await freePort();
    const config = {
      discovery: { ec2: { region: ec2.region, endpoint: ec2.endpoint, tags } },
      kubernetes: { kubeconfig: await kube.writeKubeconfig(join(dir, 'kubeconfig')) },
      ssh: { user: 'deploy', privateKeyPath: 'id_ed25519', knownHostsPath: 'known_hosts' },
      api: { port },
      slack: { channel: '#deploys', apiUrl: slack.apiUrl },
      apps: Array.from({ length: APPS }, (_, i) => ({ name: `app-${i}`, namespace: `app-${i}`, portBase: 30000 + 10 * i })),
    };
    await writeFile(join(dir, 'switchyard.yaml'), stringify(config));

    const started = performance.now();
    const agent = spawn(process.execPath, [join(dir, 'dist', 'cli', 'main.js'), 'serve', '--config', join(dir, 'switchyard.yaml'), '--log-level', 'silent'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        AWS_ACCESS_KEY_ID: ec2.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ec2.credentials.secretAccessKey,
        SLACK_BOT_TOKEN: slack.workspace.botToken,
        SLACK_APP_TOKEN: slack.workspace.appToken,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = once(agent, 'exit');
    try {
      let startMs: number | undefined;
      let startCpuMs = 0;
      while (startMs === undefined) {
        if (agent.exitCode !== null) throw new Error(`serve exited with ${agent.exitCode} before it was ready`);
        const status = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
        if (status === 200 && slack.socket.open.length === 1) {
          startMs = performance.now() - started;
          startCpuMs = await cpuMs(agent.pid!);
        } else await sleep(5);
      }
      await sleep(SETTLE_MS);
      if (kube.unserved.length > 0 || ec2.unserved.length > 0) throw new Error(`the stand-ins could not serve: ${JSON.stringify([...kube.unserved, ...ec2.unserved])}`);
      slack.assertClean();
      yield { name: 'footprint', apps: APPS, nodes: NODES, rssMb: Math.round(await rssMb(agent.pid!)), startMs: round(startMs), cpuMs: startCpuMs };
    } finally {
      agent.kill('SIGTERM');
      await exited;
    }
  } finally {
    await ec2.close();
    await slack.close();
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  }
}

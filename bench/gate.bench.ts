/**
 * `gate`: how long a bad release serves before the gate has put every node
 * back. Three real nodes under load (a connection per request); each deploy
 * is a version whose pods answer 500 to 30% of requests, with a gate that
 * checks every second. Measured from outside, by the load: from the first
 * 500 any client saw to the moment the last node answered the old version
 * for good. The target is under 2 s plus the check interval. Beside it,
 * as a baseline from the same run, how long the forward switch took (from
 * entering `switching` to every node reloaded): the switch back is the same
 * two-phase switch, so what the gate adds is the rest.
 */
import { request } from 'node:http';
import { createAgent } from '../src/agent/create-agent.js';
import type { DeployEvent } from '../src/deploy/deploy-event.js';
import { silentLogger } from '../src/log/logger.js';
import { startSandboxEnv } from '../src/sandbox/sandbox-env.js';
import { median, round } from './figures.js';

const NODES = 3;
const DEPLOYS = 3;
const CHECK_EVERY_MS = 1000;
const PER_NODE = 2;

interface Answer {
  node: number;
  at: number;
  status: number;
  body: string;
}

/** GET / on `host` until stopped, one connection per request, every answer timed. */
function probeLoop(host: string, node: number, answers: Answer[], running: () => boolean): Promise<void> {
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request({ host, port: 80, path: '/', agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => {
          answers.push({ node, at: performance.now(), status: res.statusCode ?? 0, body: body.trim() });
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy()).on('error', () => resolve()).end();
    });
  return (async () => {
    while (running()) await once();
  })();
}

/** From the first 500 to the last node's first answer from the old version after its last answer from the new one. */
function badWindow(answers: Answer[], oldBody: string): number | undefined {
  const firstBad = answers.find((a) => a.status === 500)?.at;
  if (firstBad === undefined) return undefined;
  let restored = firstBad;
  for (let node = 0; node < NODES; node++) {
    const mine = answers.filter((a) => a.node === node);
    const lastNew = mine.reduce((i, a, j) => (a.body !== oldBody ? j : i), -1);
    const back = mine[lastNew + 1];
    if (!back) return undefined;
    restored = Math.max(restored, back.at);
  }
  return restored - firstBad;
}

export default async function* gateBench(): AsyncGenerator<{ name: string } & Record<string, unknown>> {
  const versions = Object.fromEntries(Array.from({ length: DEPLOYS }, (_, i) => [`2.0.${i}`, { errorShare: 0.3 }]));
  const env = await startSandboxEnv({
    nodes: NODES,
    readyDelayMs: 0,
    versions,
    app: { drainSeconds: 0, verify: { required: false }, gate: { window: '1m', checkEvery: `${CHECK_EVERY_MS}ms`, minRequests: 10, maxErrorRatio: 0.05 } },
  });
  try {
    let switching: number | undefined;
    const switches: number[] = [];
    const onEvent = (e: DeployEvent): void => {
      if (e.type === 'phase' && e.to === 'switching') switching = performance.now();
      if (e.type === 'nodes' && e.colour === 'green' && e.switched === e.total && switching !== undefined) {
        switches.push(performance.now() - switching);
        switching = undefined;
      }
    };
    const agent = await createAgent(env.config, { log: silentLogger, ec2: env.ec2Options, onEvent });
    try {
      const windows: number[] = [];
      for (let i = 0; i < DEPLOYS; i++) {
        const answers: Answer[] = [];
        let running = true;
        const loops = env.fleet.nodes.flatMap((n, node) => Array.from({ length: PER_NODE }, () => probeLoop(n.address, node, answers, () => running)));
        const { done } = await agent.service.deploy('blog', `2.0.${i}`, { by: { via: 'cli', id: 'bench' }, skipVerify: true });
        const result = await done;
        // A little more load after the end, so each node's first old answer after the switch back is seen.
        await new Promise((r) => setTimeout(r, 500));
        running = false;
        await Promise.all(loops);
        if (result.record?.phase !== 'auto-rolled-back') throw new Error(`deploy ${i + 1} ended ${result.record?.phase ?? result.outcome}, not auto-rolled-back`);
        const ms = badWindow(answers, 'blog 1.0.0');
        if (ms === undefined) throw new Error(`deploy ${i + 1}: the load saw no 500, or a node never answered 1.0.0 again`);
        windows.push(ms);
      }
      yield {
        name: 'gate',
        nodes: NODES,
        deploys: DEPLOYS,
        checkEveryMs: CHECK_EVERY_MS,
        targetMs: 2000 + CHECK_EVERY_MS,
        firstBadToOldMs: round(median(windows)),
        allMs: windows.map(round),
        forwardSwitchMs: round(median(switches)),
      };
    } finally {
      await agent.close();
    }
  } finally {
    await env.close();
  }
}

/**
 * `deploy`: switchyard's own overhead in a whole deploy across 10 real nodes,
 * through the real DeployService, with everything that is not switchyard's
 * made instant: pods Ready at once, a drain of 0 s, no verification pause
 * (the smoke check through every node's NodePort still runs). Three deploys
 * alternate the colours; the median total and the median per phase (from the
 * runner's 'timing' events) are printed.
 */
import { createAgent } from '../src/agent/create-agent.js';
import type { DeployEvent } from '../src/deploy/deploy-event.js';
import { silentLogger } from '../src/log/logger.js';
import { startSandboxEnv } from '../src/sandbox/sandbox-env.js';
import { median, round } from './figures.js';

const NODES = 10;
const DEPLOYS = 3;

export default async function* deployBench(): AsyncGenerator<{ name: string } & Record<string, unknown>> {
  const env = await startSandboxEnv({
    nodes: NODES,
    readyDelayMs: 0,
    app: { drainSeconds: 0, verify: { required: false, smoke: { path: '/healthz', status: 200 } } },
  });
  try {
    const phases = new Map<string, Record<string, number>>();
    const onEvent = (e: DeployEvent): void => {
      if (e.type !== 'timing') return;
      const mine = phases.get(e.deployId) ?? {};
      mine[e.phase] = (mine[e.phase] ?? 0) + e.ms;
      phases.set(e.deployId, mine);
    };
    const agent = await createAgent(env.config, { log: silentLogger, ec2: env.ec2Options, onEvent });
    try {
      const runs: Array<{ totalMs: number; phases: Record<string, number> }> = [];
      const colours: string[] = [];
      for (let i = 0; i < DEPLOYS; i++) {
        const started = performance.now();
        const { record, done } = await agent.service.deploy('blog', `2.0.${i}`, { by: { via: 'cli', id: 'bench' }, skipVerify: true });
        const result = await done;
        const totalMs = performance.now() - started;
        if (result.record?.phase !== 'done') {
          throw new Error(`deploy ${i + 1} of ${DEPLOYS} ended ${result.record?.phase ?? result.outcome}: ${result.record?.error?.message ?? result.reason ?? ''}`);
        }
        colours.push(`${result.record.fromColour}->${result.record.toColour}`);
        runs.push({ totalMs, phases: phases.get(record.id) ?? {} });
      }
      const names = [...new Set(runs.flatMap((r) => Object.keys(r.phases)))];
      yield {
        name: 'deploy',
        nodes: NODES,
        deploys: DEPLOYS,
        colours,
        totalMs: round(median(runs.map((r) => r.totalMs))),
        phases: Object.fromEntries(names.map((p) => [p, round(median(runs.map((r) => r.phases[p] ?? 0)))])),
        allTotalsMs: runs.map((r) => round(r.totalMs)),
      };
    } finally {
      await agent.close();
    }
  } finally {
    await env.close();
  }
}

import type { Agent } from '../agent/create-agent.js';
import type { RunResult } from '../deploy/deploy-runner.js';
import type { DeployRecord, Phase } from '../state/app-state.js';
import type { CliSession } from './cli-session.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { describeOutcome } from '../deploy/wording.js';

/** The final phase a run of this kind ends in when it worked. */
export const succeeded = (r: DeployRecord): boolean => r.phase === (r.kind === 'rollback' ? 'rolled-back' : 'done');

const aborted = (signal: AbortSignal): Promise<'interrupted'> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve('interrupted');
    else signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });

/**
 * Stays in the foreground until a run this process drives ends, and turns
 * its end into an exit code. Ctrl-C detaches: the agent stops the runner
 * without unwinding (a switch under way finishes first), the lock is given
 * back, and the deploy stays in flight, recorded in the cluster, for
 * `switchyard serve` or a later command to resume.
 *
 * @example
 * const { record, done } = await agent.service.deploy('blog', 'v2', { by });
 * return await followRun(session, agent, { app: 'blog', deployId: record.id, phase: record.phase, done }, succeeded);
 */
export async function followRun(
  session: CliSession,
  agent: Agent,
  run: { app: string; deployId: string; phase: Phase; done: Promise<RunResult> },
  ok: (record: DeployRecord) => boolean,
): Promise<ExitCode> {
  const first = await Promise.race([run.done, aborted(session.signal)]);
  const interrupted = first === 'interrupted';
  if (interrupted) {
    await session.closeAgent(agent);
  }
  const result = await run.done;
  const { record } = result;
  if (result.outcome === 'finished' && record) {
    session.json({ type: 'result', ok: ok(record), record });
    if (ok(record)) return EXIT.ok;
    const hint = record.error?.hint ? ` — ${record.error.hint}` : '';
    session.warn(`error: ${record.kind} ${record.id} of ${record.app} ended ${describeOutcome(record)}${hint}; see: switchyard history ${record.app}`);
    return EXIT.failed;
  }
  const where = `${run.deployId} (${record?.phase ?? run.phase})`;
  const resume = `it stays in flight, recorded in the cluster; a \`switchyard serve\` agent or a later \`switchyard promote ${run.app}\` / \`switchyard abort ${run.app}\` resumes it`;
  session.json({ type: interrupted ? 'detached' : 'stopped', deployId: run.deployId, phase: record?.phase ?? run.phase, reason: result.reason });
  if (interrupted) {
    session.warn(`detached from ${where}: ${resume}`);
    return EXIT.interrupted;
  }
  session.warn(`error: ${where} stopped: ${result.reason ?? 'unknown reason'}${result.hint ? ` — ${result.hint}` : ''}; ${resume}`);
  return EXIT.unreachable;
}

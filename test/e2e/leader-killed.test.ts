import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { LEADER_HEADER } from '../../src/api/leader-check.js';
import type { Phase } from '../../src/state/app-state.js';
import { CiClient } from '../../src/sandbox/demo/ci-client.js';
import { startSandboxEnv, type SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import { appStateIn, stateInEvent, untilAppState } from '../support/app-state-in-store.js';
import { buttonsOf, CHANNEL, ROLES, shownText } from '../support/chat-story.js';
import { CliProcess } from '../support/cli-process.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet } from '../support/fleet.js';
import { killWhen } from '../support/kill-when.js';
import { freePort } from '../support/free-port.js';

const TOKEN = 'leader-test-ci-token-0123456789abcdef';
const open: { env?: SandboxEnv; slack?: SlackStandIn; agents: CliProcess[] } = { agents: [] };
afterEach(async () => {
  for (const a of open.agents.splice(0)) await a.stop();
  await open.slack?.close();
  await open.env?.close();
  open.slack?.assertClean();
  open.env = undefined;
  open.slack = undefined;
});

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}


interface Readiness {
  ready: boolean;
  leading: boolean;
  leader: { identity: string; instance: string | null } | null;
}

/** One `switchyard serve` process with its own API port, as a second replica of the Deployment would be. */
interface Agent {
  process: CliProcess;
  url: string;
  readyz(): Promise<Readiness | undefined>;
}

/**
 * Each story: two `switchyard serve` agents on one stand-in cluster, one
 * Slack workspace and three real nodes. A CI job starts a deploy through the
 * leader's API; the leader is SIGKILLed the moment the deploy records the
 * phase; the other agent takes the leadership over, resumes the deploy and
 * keeps editing its one Slack message, and CI's retried request (same
 * Idempotency-Key, to the survivor) answers the very same deploy.
 */
describeOnFleet('two serve agents: the leader SIGKILLed mid-deploy (one leader; leader work stops when its lease is lost)', () => {
  it.each<{ phase: Phase; promoteFirst: boolean }>([
    { phase: 'waiting', promoteFirst: false },
    { phase: 'verifying', promoteFirst: false },
    { phase: 'switching', promoteFirst: true },
    { phase: 'draining', promoteFirst: true },
  ])('killed once $phase is recorded: the other agent leads, finishes the deploy once, edits the same message through', async ({ phase, promoteFirst }) => {
    // Pods take a while to be Ready, so the deploy is still waiting when the kill comes.
    const env = (open.env = await startSandboxEnv({ nodes: 3, agent: { leaseSeconds: 8 }, readyDelayMs: 2_000 }));
    const slack = (open.slack = await startSlackStandIn());
    const config = parse(await readFile(env.configPath, 'utf8')) as Record<string, unknown>;
    const serve = async (name: string): Promise<Agent> => {
      const port = await freePort();
      const path = `${env.configPath}.${name}.yaml`;
      await writeFile(path, stringify({ ...config, slack: { channel: CHANNEL, apiUrl: slack.apiUrl }, roles: ROLES, api: { port }, agent: { ...(config.agent as object), identity: name } }));
      const p = CliProcess.start(['serve'], { ...env.env, SWITCHYARD_CONFIG: path, SLACK_BOT_TOKEN: slack.workspace.botToken, SLACK_APP_TOKEN: slack.workspace.appToken, SWITCHYARD_API_TOKENS: `ci:${TOKEN}` });
      open.agents.push(p);
      const url = `http://127.0.0.1:${port}`;
      const readyz = () => fetch(`${url}/readyz`).then((r) => r.json() as Promise<Readiness>, () => undefined);
      return { process: p, url, readyz };
    };

    // Given: agent-a leads, agent-b follows it; only the leader holds a Slack connection.
    const a = await serve('agent-a');
    await until('agent-a to lead', async () => (await a.readyz())?.leading);
    const b = await serve('agent-b');
    const follower = await until('agent-b to be ready and know the leader', async () => {
      const r = await b.readyz();
      return r?.leader && r;
    });
    expect(follower).toMatchObject({ ready: true, leading: false, leader: { identity: 'agent-a' } });
    expect(slack.socket.open).toHaveLength(1);

    // A write sent to the follower is refused, naming the leader, and starts nothing.
    const refused = await fetch(`${b.url}/api/v1/deploys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'run-1-blog' },
      body: JSON.stringify({ app: 'blog', version: '2.0.0' }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get(LEADER_HEADER)).toBe('agent-a');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: 'not-leader', message: expect.stringContaining('agent-b does not lead; agent-a does') } });
    expect(appStateIn(env.kube).inFlight).toBeNull();
    // Its dashboard has no fleet check of its own (only the leader checks the nodes), and says who has.
    expect(await (await fetch(`${b.url}/`)).text()).toContain('checked by the leading agent, agent-a');

    // When: CI starts the deploy through the leader, and the leader is killed in `phase`.
    const request = { app: 'blog', version: '2.0.0', commit: '3f2a9c1', idempotencyKey: 'run-1-blog' };
    const killed = killWhen(env.kube, a.process, (e) => {
      const s = stateInEvent(e);
      return s?.inFlight?.phase === phase && s.inFlight.chat !== undefined;
    }, 90_000);
    const started = await new CiClient(a.url, TOKEN).startDeploy(request);
    expect(started.status).toBe(202);
    const id = started.answer.id as string;
    const ts = await until('the deploy\'s message', () => slack.messages(CHANNEL)[0]?.ts);
    const promote = async () => {
      await until('Promote and Abort', () => buttonsOf(slack.messages(CHANNEL)[0]!).join() === 'promote,abort');
      await slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'promote' });
    };
    if (promoteFirst) await promote();
    const left = await killed;
    await a.process.exited;
    expect(left.inFlight).toMatchObject({ id, phase });

    // Then: CI sends its request again, to the survivor: refused until it leads, then answered with the same deploy.
    const again = await new CiClient(b.url, TOKEN).startDeploy(request);
    expect(again.retried.map((r) => (r.answer.error as { code: string }).code)).toEqual(again.retried.map(() => 'not-leader'));
    expect(again).toMatchObject({ status: 202, answer: { id } });
    expect(await b.readyz()).toMatchObject({ leading: true, leader: { identity: 'agent-b' } });
    const resumed = await b.process.untilLine((l) => l.type === 'resumed', 'the deploy to be resumed', 60_000);
    expect(resumed).toMatchObject({ app: 'blog', deployId: id, phase, how: 'continued' });
    if (!promoteFirst) await promote();

    const end = await new CiClient(b.url, TOKEN).follow(String(again.answer.eventsUrl), () => undefined, AbortSignal.timeout(120_000));
    expect(end, b.process.transcript()).toMatchObject({ phase: 'done', exitCode: 0 });

    // The deploy ran once: one record, done; one message, edited through to the end by the new leader.
    const after = await untilAppState(env.kube, (s) => s.inFlight === null, 'the deploy to end');
    expect(after.history.map((h) => [h.id, h.phase])).toEqual([[id, 'done']]);
    await until('the message to say done', () => shownText(slack.messages(CHANNEL)[0]!).includes('done: green 2.0.0 is live'));
    expect(slack.messages(CHANNEL).map((m) => m.ts)).toEqual([ts]);
    const thread = () => slack.messages(CHANNEL)[0]!.replies.map((r) => currentVersion(r).text);
    await until('the takeover in the thread', () => thread().some((l) => l.includes('taken over after a restart by agent-b')));
    expect(thread().filter((l) => l.includes('taken over'))).toHaveLength(1);
    expect(await expectConsistent(env)).toMatchObject({ colour: 'green', version: '2.0.0' });
  }, 240_000);
});

import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startSandboxEnv, type SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import { untilAppState, untilLockFree } from '../support/app-state-in-store.js';
import { buttonsOf, CHANNEL, ROLES, shownText } from '../support/chat-story.js';
import { CliProcess } from '../support/cli-process.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet } from '../support/fleet.js';

const open: { env?: SandboxEnv; slack?: SlackStandIn; agents: CliProcess[] } = { agents: [] };
afterEach(async () => {
  for (const a of open.agents.splice(0)) await a.stop();
  await open.slack?.close();
  await open.env?.close();
  open.slack?.assertClean();
});

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describeOnFleet('Slack: a `switchyard serve` killed mid-deploy', () => {
  it('is replaced by another that edits the same message through to the end', async () => {
    const env = (open.env = await startSandboxEnv({ nodes: 3 }));
    const slack = (open.slack = await startSlackStandIn());
    const config = parse(await readFile(env.configPath, 'utf8')) as Record<string, unknown>;
    const path = `${env.configPath}.slack.yaml`;
    await writeFile(path, stringify({ ...config, slack: { channel: CHANNEL, apiUrl: slack.apiUrl }, roles: ROLES, api: { enabled: false } }));
    const agentEnv = { ...env.env, SWITCHYARD_CONFIG: path, SLACK_BOT_TOKEN: slack.workspace.botToken, SLACK_APP_TOKEN: slack.workspace.appToken };
    const serve = () => {
      const p = CliProcess.start(['serve'], agentEnv);
      open.agents.push(p);
      return p;
    };

    const first = serve();
    await until('the first agent to connect to Slack', () => slack.socket.open.length === 1);
    await slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    const ts = await until('Promote and Abort', () => {
      const [m] = slack.messages(CHANNEL);
      return m && buttonsOf(m).join() === 'promote,abort' && m.ts;
    });
    first.killNow();
    await first.exited;

    serve();
    await until('the second agent to connect to Slack, the first one\'s connection gone', () => slack.socket.connections.length === 2 && slack.socket.open.length === 1);
    await slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'promote' });
    await untilAppState(env.kube, (s) => s.inFlight === null, 'the deploy to end', 60_000);
    await until('the message to say done', () => {
      const [m] = slack.messages(CHANNEL);
      return m && shownText(m).includes('done: green 2.0.0 is live');
    });
    expect(slack.messages(CHANNEL).map((m) => m.ts)).toEqual([ts]);
    const takeover = await until('the takeover in the thread', () =>
      slack.messages(CHANNEL)[0]!.replies.map((r) => currentVersion(r).text).find((l) => l.includes('taken over after a restart by')));
    expect(takeover).toMatch(/taken over after a restart by .*: continued/);
    await untilLockFree(env);
    expect(await expectConsistent(env)).toMatchObject({ colour: 'green', version: '2.0.0' });
    // The second agent leads (and connects to Slack) only once the dead one's leadership lease ran out, then waits out its deploy lock.
  }, 180_000);
});

import { afterEach } from 'vitest';
import { AgentServer } from '../../src/agent/agent-server.js';
import { createAgent, type Agent } from '../../src/agent/create-agent.js';
import { loadFrontEnds } from '../../src/agent/load-front-ends.js';
import { loadSecrets } from '../../src/config/load-secrets.js';
import type { Config } from '../../src/config/schema.js';
import { systemClock } from '../../src/deploy/system-clock.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandboxEnv, type SandboxEnv, type SandboxEnvOptions } from '../../src/sandbox/sandbox-env.js';
import { currentVersion, type StoredMessage } from '../../src/sandbox/slack/message-store.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import type { AppState } from '../../src/state/app-state.js';
import { appStateIn, untilAppState, untilLockFree } from './app-state-in-store.js';
import { freePort } from './free-port.js';

/** Roles as the example config sets them, with the stand-in workspace's people and groups. */
export const ROLES = { deploy: ['U01ALICE', 'S03WEBTEAM'], approve: ['U02BOB'], rollback: ['S04ONCALL'], overrideFreeze: ['S04ONCALL'], selfApprove: true };

/** The stand-in workspace's channel for deploy messages. */
export const CHANNEL = '#deploys';

/** Text of a message as people see it now: its fallback text and every block's text, flattened. */
export function shownText(m: StoredMessage): string {
  return JSON.stringify(currentVersion(m).blocks ?? currentVersion(m).text ?? '');
}

/** Action ids of the buttons a message shows now. */
export function buttonsOf(m: StoredMessage): string[] {
  const blocks = (currentVersion(m).blocks ?? []) as { type: string; elements?: { type: string; action_id?: string }[] }[];
  return blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []).map((e) => e.action_id ?? '?') : []));
}


interface Served {
  agent: Agent;
  server: AgentServer;
  url: string | undefined;
  apiUrl: string;
}

/** The CI token the story's agent accepts. */
export const CI_TOKEN = 'story-ci-token-0123456789abcdef';

/**
 * A team's Slack and the agent serving it, on the sandbox: the stand-in
 * cluster and EC2, real nginx + sshd nodes, the Slack stand-in (Web API and
 * Socket Mode), and an agent built by createAgent with the Slack front end
 * loaded into its AgentServer, exactly as `switchyard serve` builds it.
 */
export class ChatStory {
  readonly env: SandboxEnv;
  readonly slack: SlackStandIn;
  readonly config: Config;
  agent: Agent;
  /** Where Slack sends requests in HTTP mode. */
  url: string | undefined;
  /** Where the agent's HTTP API listens. */
  apiUrl: string;
  private server: AgentServer;

  private constructor(env: SandboxEnv, slack: SlackStandIn, config: Config, served: Served) {
    this.env = env;
    this.slack = slack;
    this.config = config;
    this.agent = served.agent;
    this.server = served.server;
    this.url = served.url;
    this.apiUrl = served.apiUrl;
  }

  static async start(options: SandboxEnvOptions & { roles?: Partial<typeof ROLES>; mode?: 'socket' | 'http' } = {}): Promise<ChatStory> {
    const { roles, mode = 'socket', ...sandbox } = options;
    const env = await startSandboxEnv({ nodes: 3, ...sandbox });
    let slack: SlackStandIn | undefined;
    try {
      slack = await startSlackStandIn();
      const config: Config = {
        ...env.config,
        slack: { mode, channel: CHANNEL, command: '/deploy', apiUrl: slack.apiUrl, port: mode === 'http' ? await freePort() : 0, host: '127.0.0.1' },
        roles: { ...ROLES, ...roles },
      };
      return new ChatStory(env, slack, config, await ChatStory.serve(env, slack, config));
    } catch (err) {
      await slack?.close();
      await env.close();
      throw err;
    }
  }

  private static async serve(env: SandboxEnv, slack: SlackStandIn, config: Config): Promise<Served> {
    const log = createLogger({ level: 'silent' });
    const agent = await createAgent(config, { log, ec2: env.ec2Options });
    const server = new AgentServer(agent, { log, clock: systemClock, everyMs: 1000 });
    const { botToken, appToken, signingSecret } = slack.workspace;
    // Built as `switchyard serve` builds it, from the secrets an environment would give.
    const secrets = loadSecrets(config, {
      SLACK_BOT_TOKEN: botToken,
      ...(config.slack!.mode === 'http' ? { SLACK_SIGNING_SECRET: signingSecret } : { SLACK_APP_TOKEN: appToken }),
      SWITCHYARD_API_TOKENS: `ci:${CI_TOKEN}`,
    });
    const { api } = await loadFrontEnds(server, agent, { config, secrets, log, clock: systemClock });
    await server.start();
    const url = config.slack!.mode === 'http' ? `http://127.0.0.1:${config.slack!.port}/slack/events` : undefined;
    return { agent, server, url, apiUrl: api!.url };
  }

  /** Stops this agent as an orderly shutdown would (its deploys stay in flight), and starts a new one on the same Slack. */
  async restartAgent(): Promise<void> {
    await this.server.stop();
    await this.agent.close();
    ({ agent: this.agent, server: this.server, url: this.url, apiUrl: this.apiUrl } = await ChatStory.serve(this.env, this.slack, this.config));
  }

  /** The deploy messages posted to the channel, oldest first (thread replies are under each). */
  messages(): StoredMessage[] {
    return this.slack.messages(CHANNEL);
  }

  state(): AppState {
    return appStateIn(this.env.kube);
  }

  untilState(check: (s: AppState) => boolean, what: string): Promise<AppState> {
    return untilAppState(this.env.kube, check, what);
  }

  /** Until nothing is in flight and the runner that ended it has let the app's lock go. */
  async untilIdle(): Promise<AppState> {
    const state = await this.untilState((s) => s.inFlight === null, 'the deploy to end');
    await untilLockFree(this.env);
    return state;
  }

  async close(): Promise<void> {
    await this.server.stop().catch(() => undefined);
    await this.agent.close().catch(() => undefined);
    await this.slack.close();
    await this.env.close();
  }
}

/** Chat stories for one describe block; each is closed after its test, also when it fails. */
export function chatStories(): { given(options?: Parameters<typeof ChatStory.start>[0]): Promise<ChatStory> } {
  const open: ChatStory[] = [];
  afterEach(async () => {
    for (const story of open.splice(0)) {
      await story.close();
      story.slack.assertClean();
    }
  });
  return {
    async given(options) {
      const story = await ChatStory.start(options);
      open.push(story);
      return story;
    },
  };
}

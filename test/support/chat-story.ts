import { afterEach } from 'vitest';
import { AgentServer } from '../../src/agent/agent-server.js';
import { createAgent, type Agent } from '../../src/agent/create-agent.js';
import { slackFrontEnd } from '../../src/chatops/slack-front-end.js';
import type { Config } from '../../src/config/schema.js';
import { systemClock } from '../../src/deploy/system-clock.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandboxEnv, type SandboxEnv, type SandboxEnvOptions } from '../../src/sandbox/sandbox-env.js';
import { currentVersion, type StoredMessage } from '../../src/sandbox/slack/message-store.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import type { AppState } from '../../src/state/app-state.js';
import { appStateIn, untilAppState } from './app-state-in-store.js';

/** Roles as the example config sets them, with the stand-in workspace's people and groups. */
export const ROLES = { deploy: ['U01ALICE', 'S03WEBTEAM'], approve: ['U02BOB'], rollback: ['S04ONCALL'], selfApprove: true };

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
  private server: AgentServer;

  private constructor(env: SandboxEnv, slack: SlackStandIn, config: Config, agent: Agent, server: AgentServer) {
    this.env = env;
    this.slack = slack;
    this.config = config;
    this.agent = agent;
    this.server = server;
  }

  static async start(options: SandboxEnvOptions & { roles?: Partial<typeof ROLES> } = {}): Promise<ChatStory> {
    const { roles, ...sandbox } = options;
    const env = await startSandboxEnv({ nodes: 3, ...sandbox });
    let slack: SlackStandIn | undefined;
    try {
      slack = await startSlackStandIn();
      const config: Config = {
        ...env.config,
        slack: { mode: 'socket', channel: CHANNEL, command: '/deploy', apiUrl: slack.apiUrl, port: 0, host: '127.0.0.1' },
        roles: { ...ROLES, ...roles },
      };
      const { agent, server } = await ChatStory.serve(env, slack, config);
      return new ChatStory(env, slack, config, agent, server);
    } catch (err) {
      await slack?.close();
      await env.close();
      throw err;
    }
  }

  private static async serve(env: SandboxEnv, slack: SlackStandIn, config: Config): Promise<{ agent: Agent; server: AgentServer }> {
    const log = createLogger({ level: 'silent' });
    const agent = await createAgent(config, { log, ec2: env.ec2Options });
    const server = new AgentServer(agent, { log, clock: systemClock, everyMs: 1000 });
    server.load(
      slackFrontEnd(agent, {
        config: { ...config, slack: config.slack! },
        secrets: { botToken: slack.workspace.botToken, appToken: slack.workspace.appToken },
        log,
        clock: systemClock,
        minEditMs: 200,
      }),
    );
    await server.start();
    return { agent, server };
  }

  /** Stops this agent as an orderly shutdown would (its deploys stay in flight), and starts a new one on the same Slack. */
  async restartAgent(): Promise<void> {
    await this.server.stop();
    await this.agent.close();
    ({ agent: this.agent, server: this.server } = await ChatStory.serve(this.env, this.slack, this.config));
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

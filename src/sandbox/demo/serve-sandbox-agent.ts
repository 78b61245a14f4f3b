import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { AgentServer } from '../../agent/agent-server.js';
import { createAgent, type Agent } from '../../agent/create-agent.js';
import { loadFrontEnds } from '../../agent/load-front-ends.js';
import { API_TOKENS_ENV, loadSecrets } from '../../config/load-secrets.js';
import { loadConfig } from '../../config/load-config.js';
import type { Config } from '../../config/schema.js';
import type { DeployEventListener } from '../../deploy/deploy-event.js';
import { systemClock } from '../../deploy/system-clock.js';
import { silentLogger } from '../../log/logger.js';
import type { SandboxEnv } from '../sandbox-env.js';
import type { SlackStandIn } from '../slack/start-slack-stand-in.js';

/** The channel deploy messages go to, in the stand-in workspace. */
export const DEPLOYS_CHANNEL = '#deploys';

/** alice deploys, and so does the web team (alice, bob); bob approves; on-call (carol) rolls back. */
const ROLES = { deploy: ['U01ALICE', 'S03WEBTEAM'], approve: ['U02BOB'], rollback: ['S04ONCALL'] };

export interface ServedAgent {
  agent: Agent;
  /** The config the agent runs with, as written to the sandbox's config file. */
  config: Config;
  /** Where the HTTP API listens (http://127.0.0.1:<port>). */
  apiUrl: string;
  /** The CI token made for this run, given to the agent as SWITCHYARD_API_TOKENS (`ci:<token>`). */
  ciToken: string;
  /** Stops the front ends, then the agent: its deploys in flight stop where they are. */
  stop(): Promise<void>;
}

/**
 * The agent of a sandbox built as `switchyard serve` builds it: the config
 * file (with `slack` pointed at the Slack stand-in and `roles` naming its
 * people) read by loadConfig, the secrets read from an environment by
 * loadSecrets (the stand-in's bot and app tokens, and a random CI token),
 * createAgent, and an AgentServer with the Slack front end (Socket Mode) and
 * the HTTP API front end loaded, sharing one set of metrics.
 *
 * @example
 * const served = await serveSandboxAgent(env, slack, { onEvent: (e) => progress.print(e) });
 * const ci = new CiClient(served.apiUrl, served.ciToken);
 * // ...
 * await served.stop();
 */
export async function serveSandboxAgent(env: SandboxEnv, slack: SlackStandIn, options: { onEvent: DeployEventListener }): Promise<ServedAgent> {
  const written = parse(await readFile(env.configPath, 'utf8')) as Record<string, unknown>;
  await writeFile(env.configPath, stringify({ ...written, slack: { mode: 'socket', channel: DEPLOYS_CHANNEL, apiUrl: slack.apiUrl }, roles: ROLES }));
  const config = await loadConfig(env.configPath);
  const ciToken = randomBytes(32).toString('hex');
  const secrets = loadSecrets(config, {
    SLACK_BOT_TOKEN: slack.workspace.botToken,
    SLACK_APP_TOKEN: slack.workspace.appToken,
    [API_TOKENS_ENV]: `ci:${ciToken}`,
  });
  const log = silentLogger;
  // The process environment is the caller's: EC2's endpoint and credentials come from the sandbox instead.
  const agent = await createAgent(config, { log, ec2: env.ec2Options, onEvent: options.onEvent });
  const server = new AgentServer(agent, { log, clock: systemClock, everyMs: (config.agent.leaseSeconds * 1000) / 2 });
  const { api } = await loadFrontEnds(server, agent, { config, secrets, log, clock: systemClock });
  try {
    await server.start();
  } catch (err) {
    await agent.close();
    throw err;
  }
  return {
    agent,
    config,
    apiUrl: api!.url,
    ciToken,
    async stop() {
      await server.stop();
      await agent.close();
    },
  };
}

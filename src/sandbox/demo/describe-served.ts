import { findUser, type SlackWorkspace } from '../slack/slack-workspace.js';
import type { SlackStandIn } from '../slack/start-slack-stand-in.js';
import type { DemoOutput } from './demo-output.js';
import type { ServedAgent } from './serve-sandbox-agent.js';

/** "bob", or a user group as "@web-team (alice, bob)". */
function person(workspace: SlackWorkspace, id: string): string {
  const group = workspace.usergroups.find((g) => g.id === id);
  if (!group) return findUser(workspace, id)?.name ?? id;
  return `@${group.handle} (${group.users.map((u) => findUser(workspace, u)?.name ?? u).join(', ')})`;
}

/**
 * The sandbox's agent as a step: where its HTTP API listens, the Slack it
 * is connected to, who holds which role, and which apps CI cannot start
 * without a person (requireStart).
 *
 * @example
 * describeServed(output, await serveSandboxAgent(env, slack, { onEvent }), slack);
 */
export function describeServed(o: DemoOutput, served: ServedAgent, slack: SlackStandIn): void {
  const { config, agent, apiUrl } = served;
  const channel = config.slack?.channel;
  const roles = (['deploy', 'approve', 'rollback'] as const).map((r) => `${r} ${config.roles[r].map((id) => person(slack.workspace, id)).join(', ')}`);
  const held = config.apps.filter((a) => a.requireStart).map((a) => a.name);
  o.step(
    { type: 'serve', identity: agent.identity, frontEnds: ['slack', 'api'], api: apiUrl, dashboard: `${apiUrl}/`, slack: { mode: config.slack?.mode, channel, apiUrl: slack.apiUrl }, roles: config.roles, requireStart: held },
    '',
    `The agent, built and served as \`switchyard serve\` does (${agent.identity}), with two front ends:`,
    `  HTTP API for CI on ${apiUrl}, with a token made for this run (SWITCHYARD_API_TOKENS="ci:<token>"), and the dashboard at ${apiUrl}/`,
    `  Slack app over Socket Mode, connected to the Slack stand-in at ${slack.apiUrl} (people alice, bob and carol; deploy messages in ${channel})`,
    `  roles: ${roles.join('; ')}`,
    ...held.map((app) => `  ${app} has requireStart: a deploy CI starts waits in pending until someone presses Start in Slack`),
  );
}

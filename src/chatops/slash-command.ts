import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { AppStatus } from '../deploy/deploy-service.js';
import { describeOutcome, formatActor } from '../deploy/wording.js';
import { asSwitchyardError } from '../errors/switchyard-error.js';
import { refusalText, type ChatContext } from './chat-context.js';
import { parseCommand, usageText, type SlashRequest } from './parse-command.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * The slash command: acknowledged at once (Slack allows 3 s), bad input
 * answered in that acknowledgement with what was wrong and the right form;
 * the work itself runs after, and its answer is an ephemeral reply. The
 * deploy's own message in the channel comes from the feed (MessageSync).
 *
 * @example
 * app.command('/deploy', slashCommand(context));
 */
export const slashCommand =
  (c: ChatContext) =>
  async ({ command, ack, respond }: Args): Promise<void> => {
    let request: SlashRequest;
    try {
      request = parseCommand(command.text, c.command);
    } catch (err) {
      await ack({ response_type: 'ephemeral', text: refusalText(asSwitchyardError(err).toLine()) });
      return;
    }
    await ack();
    let text: string;
    try {
      text = await perform(c, request, command.user_id, command.user_name);
    } catch (err) {
      const e = asSwitchyardError(err);
      c.log[e.code === 'not-authorised' ? 'warn' : 'info']({ code: e.code, user: command.user_id, request, err: e.cause ?? e }, `slack: ${e.message}`);
      text = refusalText(e.toLine());
    }
    await respond({ response_type: 'ephemeral', text });
  };

async function perform(c: ChatContext, r: SlashRequest, userId: string, userName: string): Promise<string> {
  if (r.verb === 'help') return `*${c.command}* deploys with switchyard:\n${usageText(c.command)}`;
  if (r.verb === 'status') return statusText(c, r.app);
  if (r.verb === 'history') {
    const deploys = (await c.service.history(r.app)).slice(0, 5);
    if (deploys.length === 0) return `${r.app}: no finished deploys yet`;
    return deploys.map((d) => `• \`${d.id}\` ${d.kind} ${d.version}: ${describeOutcome(d)} — asked by ${formatActor(d.requestedBy)} at ${d.requestedAt.slice(0, 16).replace('T', ' ')}`).join('\n');
  }
  const actor = await c.people.actor(userId, userName);
  const groups = await c.people.groupsOf(userId);
  const { app } = r;
  if (r.verb === 'deploy') {
    c.service.authorize(actor, 'deploy', app, { groups });
    const override = r.overrideFreeze === undefined ? {} : { overrideFreeze: r.overrideFreeze, groups };
    const { record } = await c.service.deploy(app, r.version, { by: actor, ...override });
    return `Deploying ${app} ${r.version} as \`${record.id}\`: follow it in ${channelLink(c.channelOf(app))}.`;
  }
  const { inFlight } = await c.service.readState(app);
  const requestedBy = inFlight?.startedBy ?? inFlight?.requestedBy;
  const verb = r.verb;
  c.service.authorize(actor, verb, app, { groups, ...(requestedBy ? { requestedBy } : {}) });
  if (verb === 'rollback') {
    const { record } = await c.service.rollback(app, actor);
    return `Rolling ${app} back to ${record.toColour} ${record.version} as \`${record.id}\`: follow it in ${channelLink(c.channelOf(app))}.`;
  }
  const record = verb === 'promote' ? await c.service.promote(app, actor) : await c.service.abort(app, actor);
  return `${verb === 'promote' ? 'Promote' : 'Abort'} of \`${record.id}\` recorded; the agent running it acts on it now.`;
}

const channelLink = (channel: string): string => (channel.startsWith('#') ? channel : `<#${channel}>`);

async function statusText(c: ChatContext, only?: string): Promise<string> {
  const apps = only ? [only] : c.apps.map((a) => a.name);
  const all = await Promise.all(apps.map((a) => c.service.status(a)));
  return all.map(statusLines).join('\n\n');
}

function statusLines(s: AppStatus): string {
  const live = s.live ? `${s.live.colour} ${s.live.version}` : 'nothing live yet';
  const lines = [`*${s.app}*: ${live}`];
  if (s.fleet) lines.push(s.fleet.agreed ? `every node (${s.fleet.nodes.length}) on ${s.fleet.agreed}` : 'nodes do not agree');
  const f = s.inFlight;
  lines.push(f ? `in flight: \`${f.id}\` ${f.kind} of ${f.version} to ${f.toColour}, ${f.phase}, asked by ${formatActor(f.requestedBy)}` : 'nothing in flight');
  if (s.previous) lines.push(`previous: ${s.previous.colour} ${s.previous.version}`);
  for (const p of s.problems) lines.push(`:warning: ${p}`);
  return lines.join('\n');
}

import type { AddressInfo } from 'node:net';
import type { App, BlockAction, SlashCommand } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { signedSlackRequest, type SlackRequestBody } from '../../src/sandbox/slack/signed-slack-request.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import { eventually, httpApp, trackHandles } from './slack-test-kit.js';

/**
 * The real Bolt App on its HTTP receiver: requests signed as Slack signs them
 * are accepted, forged and stale ones refused. It also documents what Bolt
 * 5.1 does with a request from the future: it accepts it, so switchyard must
 * refuse those itself.
 */
let slack: SlackStandIn;
let app: App;
let url: string;
let handles: ReturnType<typeof trackHandles>;
const seen = { commands: [] as SlashCommand[], clicks: [] as BlockAction[] };

beforeEach(async () => {
  handles = trackHandles();
  seen.commands = [];
  seen.clicks = [];
  slack = await startSlackStandIn();
  app = httpApp(slack);
  app.command('/deploy', async ({ ack, command, respond }) => {
    seen.commands.push(command);
    await ack();
    await respond({
      text: `Deploy ${command.text}?`,
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'promote', value: command.text, text: { type: 'plain_text', text: 'Promote' } }] }],
    });
  });
  app.action<BlockAction>('promote', async ({ ack, body, respond }) => {
    seen.clicks.push(body);
    await ack();
    await respond({ replace_original: true, text: `Promoted by <@${body.user.id}>` });
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as { address(): AddressInfo };
  url = `http://127.0.0.1:${server.address().port}/slack/events`;
});

afterEach(async () => {
  await app.stop();
  await slack.close();
  await handles.expectNoneLeft();
  slack.assertClean();
});

const command = (): SlackRequestBody => ({ command: slack.slashCommandPayload({ user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog 2.0.0' }) });
const signed = (body: SlackRequestBody, options: { timestamp?: number; signature?: 'valid' | 'wrong' } = {}) =>
  signedSlackRequest(url, body, { signingSecret: slack.workspace.signingSecret, ...options });

describe('Bolt HTTP receiver against signed requests', () => {
  it('accepts a command and a click signed as Slack signs them', async () => {
    expect(await signed(command())).toMatchObject({ status: 200, body: '' });
    expect(seen.commands[0]).toMatchObject({ command: '/deploy', text: 'blog 2.0.0', user_id: 'U01ALICE', is_enterprise_install: 'false' });
    const [buttons] = await eventually('the ephemeral buttons', () => slack.ephemerals('alice').length === 1 && slack.ephemerals('alice'));

    const click = slack.buttonClick({ user: 'alice', channel: '#deploys', ts: buttons!.ts, actionId: 'promote' });
    expect((await signed({ interactive: click.payload })).status).toBe(200);
    expect(seen.clicks[0]).toMatchObject({ type: 'block_actions', user: { id: 'U01ALICE' }, actions: [{ action_id: 'promote', value: 'blog 2.0.0' }] });
    await eventually('the replacement', () => buttons!.versions.length === 2);
    expect(currentVersion(buttons!).text).toBe('Promoted by <@U01ALICE>');
  });

  it.each<[string, number, { offsetSeconds?: number; signature?: 'wrong' }]>([
    ['signed with another secret', 401, { signature: 'wrong' }],
    ['with a timestamp 5 minutes old', 401, { offsetSeconds: -301 }],
    // Bolt 5.1 checks only staleness: a validly signed request from the future passes.
    ['with a timestamp 5 minutes in the future', 200, { offsetSeconds: 300 }],
  ])('a command %s: Bolt 5.1 answers %i', async (_what, status, { offsetSeconds, signature }) => {
    const timestamp = offsetSeconds === undefined ? undefined : Math.floor(Date.now() / 1000) + offsetSeconds;
    expect((await signed(command(), { timestamp, signature })).status).toBe(status);
    expect(seen.commands).toHaveLength(status === 200 ? 1 : 0);
    if (status === 200) await eventually('the reply', () => slack.ephemerals('alice').length === 1);
  });
});

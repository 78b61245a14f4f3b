import type { App, BlockAction, Logger, SlashCommand } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import { errorCollector, eventually, socketModeApp, trackHandles } from './slack-test-kit.js';

/**
 * The real Bolt App on its Socket Mode receiver, against the stand-in: what a
 * person does arrives as Slack's envelopes, what the app does lands in the
 * stand-in's channels, and every mistake shows up in `unexpected`.
 */
let slack: SlackStandIn;
let app: App | undefined;
let handles: ReturnType<typeof trackHandles>;

/** What the test app saw. */
const seen = { commands: [] as SlashCommand[], clicks: [] as BlockAction[], errors: [] as unknown[] };

/** A small deploy app: /deploy posts Promote/Abort buttons; Promote updates the message, Abort replaces it through its response_url. */
function deployApp(a: App): void {
  a.command('/deploy', async ({ ack, command, client }) => {
    seen.commands.push(command);
    await ack();
    await client.chat.postMessage({
      channel: command.channel_id,
      text: `Deploy ${command.text}?`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${command.text}* is ready on green` } },
        {
          type: 'actions',
          block_id: 'deploy-buttons',
          elements: [
            {
              type: 'button', action_id: 'promote', style: 'primary', value: command.text, text: { type: 'plain_text', text: 'Promote' },
              confirm: { title: { type: 'plain_text', text: 'Switch traffic?' }, text: { type: 'plain_text', text: 'Every node will serve green.' }, confirm: { type: 'plain_text', text: 'Promote' }, deny: { type: 'plain_text', text: 'Not yet' } },
            },
            { type: 'button', action_id: 'abort', style: 'danger', value: command.text, text: { type: 'plain_text', text: 'Abort' } },
          ],
        },
      ],
    });
  });
  a.action<BlockAction>('promote', async ({ ack, body, client }) => {
    seen.clicks.push(body);
    await ack();
    await client.chat.update({
      channel: body.container.channel_id,
      ts: body.container.message_ts,
      text: `Promoted by <@${body.user.id}>`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Promoted by <@${body.user.id}>` } }],
    });
  });
  a.action<BlockAction>('abort', async ({ ack, body }) => {
    seen.clicks.push(body);
    await ack();
  });
}

async function started(register: (a: App) => void, logger?: Logger): Promise<App> {
  app = socketModeApp(slack, logger);
  register(app);
  await app.start();
  return app;
}

beforeEach(async () => {
  handles = trackHandles();
  seen.commands = [];
  seen.clicks = [];
  seen.errors = [];
  slack = await startSlackStandIn();
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await slack.close();
  await handles.expectNoneLeft();
  slack.assertClean();
});

describe('Bolt Socket Mode against the Slack stand-in', () => {
  it('a slash command is acknowledged and posts a message; its button, clicked after the confirm dialog, is acknowledged and handled', async () => {
    await started(deployApp);
    expect(slack.socket.connections).toHaveLength(1);
    expect(slack.calls().map((c) => c.method)).toEqual(['auth.test', 'apps.connections.open']);

    const command = await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog 2.0.0' });
    expect(command.ack.payload).toBeUndefined();
    expect(slack.socket.envelopes[0]).toMatchObject({
      outcome: 'acked',
      envelope: { envelope_id: command.ack.envelopeId, type: 'slash_commands', accepts_response_payload: true, payload: command.payload },
    });
    expect(seen.commands[0]).toEqual({
      token: slack.workspace.verificationToken, team_id: 'T0SWITCHY1', team_domain: 'switchyard-sandbox', channel_id: 'C0DEPLOYS1',
      channel_name: 'deploys', user_id: 'U01ALICE', user_name: 'alice', command: '/deploy', text: 'blog 2.0.0', api_app_id: 'A0SWITCHYD',
      is_enterprise_install: 'false', response_url: expect.stringMatching(/\/commands\/T0SWITCHY1\/\d{13}\/[\w-]+$/), trigger_id: expect.stringMatching(/^\d+\.\d+\.[0-9a-f]{32}$/),
    });

    const [message] = await eventually('the deploy message', () => slack.messages('#deploys').length === 1 && slack.messages('#deploys'));
    const posted = currentVersion(message!);
    // Slack fills in what the app left out: a block_id, emoji on plain_text, verbatim on mrkdwn.
    expect(posted.blocks?.[0]).toMatchObject({ type: 'section', block_id: expect.any(String), text: { verbatim: false } });

    const click = await slack.clickButton({ user: 'bob', channel: 'C0DEPLOYS1', ts: message!.ts, actionId: 'promote' });
    expect(click.confirmation).toEqual({ actionId: 'promote', title: 'Switch traffic?', text: 'Every node will serve green.', confirm: 'Promote', deny: 'Not yet' });
    expect(slack.confirmations).toEqual([click.confirmation]);
    expect(seen.clicks[0]).toMatchObject({
      type: 'block_actions',
      user: { id: 'U02BOB', username: 'bob', name: 'bob', team_id: 'T0SWITCHY1' },
      api_app_id: 'A0SWITCHYD',
      container: { type: 'message', message_ts: message!.ts, channel_id: 'C0DEPLOYS1', is_ephemeral: false },
      channel: { id: 'C0DEPLOYS1', name: 'deploys' },
      team: { id: 'T0SWITCHY1', domain: 'switchyard-sandbox' },
      message: posted,
      state: { values: {} },
      response_url: expect.stringMatching(/\/actions\/T0SWITCHY1\//),
      actions: [{ action_id: 'promote', block_id: 'deploy-buttons', value: 'blog 2.0.0', style: 'primary', type: 'button', text: { type: 'plain_text', text: 'Promote', emoji: true }, action_ts: expect.stringMatching(/^\d+\.\d{6}$/) }],
    });
    expect(slack.socket.envelopes[1]?.envelope).toMatchObject({ type: 'interactive', accepts_response_payload: false });

    await eventually('the update', () => message!.versions.length === 2);
    expect(message!.versions.map((v) => [v.by, v.message.text])).toEqual([
      ['chat.postMessage', 'Deploy blog 2.0.0?'],
      ['chat.update', 'Promoted by <@U02BOB>'],
    ]);
    expect(currentVersion(message!).edited).toEqual({ user: 'U0SWBOT001', ts: expect.any(String) });
    await expect(slack.clickButton({ user: 'bob', channel: '#deploys', ts: message!.ts, actionId: 'promote' })).rejects.toThrow(
      /has no button promote now \(its buttons: none\); version 0 had it: use clickStale/,
    );
  });

  it('a stale click replays a button of an older version, with the message as the person still saw it', async () => {
    await started(deployApp);
    await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog 2.0.0' });
    const [message] = await eventually('the deploy message', () => slack.messages('#deploys').length === 1 && slack.messages('#deploys'));
    await expect(slack.clickStale({ user: 'carol', channel: '#deploys', ts: message!.ts, actionId: 'abort' })).rejects.toThrow(/still has button abort: use clickButton/);
    await slack.clickButton({ user: 'bob', channel: '#deploys', ts: message!.ts, actionId: 'promote' });
    await eventually('the update', () => message!.versions.length === 2);

    const stale = await slack.clickStale({ user: 'carol', channel: '#deploys', ts: message!.ts, actionId: 'abort' });
    expect(stale.payload.message).toEqual(message!.versions[0]!.message);
    expect(seen.clicks.at(-1)).toMatchObject({ user: { id: 'U03CAROL' }, container: { message_ts: message!.ts }, actions: [{ action_id: 'abort' }] });
    expect(seen.clicks.at(-1)?.message?.blocks).toEqual(message!.versions[0]!.message.blocks);
  });

  it('answers through response_urls: an ephemeral reply by default, in the channel when asked, the original replaced, and an ack payload as the first response', async () => {
    await started((a) => {
      a.command('/status', async ({ ack, respond }) => {
        await ack({ text: 'Looking…' });
        await respond({
          text: 'blog: blue 1.0.0',
          blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'refresh', text: { type: 'plain_text', text: 'Refresh' } }] }],
        });
        await respond({ response_type: 'in_channel', text: 'alice asked for the status of blog' });
      });
      a.action<BlockAction>('refresh', async ({ ack, body, respond }) => {
        seen.clicks.push(body);
        await ack();
        await respond({ replace_original: true, text: 'blog: green 2.0.0' });
      });
    });
    const command = await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/status' });
    expect(command.response).toMatchObject({ via: 'ack', outcome: 'ephemeral', body: { text: 'Looking…' } });
    await eventually('both responses', () => slack.responses().length === 3);
    const [ack, ephemeral, inChannel] = slack.responses();
    expect([ack?.outcome, ephemeral?.outcome, inChannel?.outcome]).toEqual(['ephemeral', 'ephemeral', 'in_channel']);
    expect(slack.messages('#deploys').map((m) => currentVersion(m).text)).toEqual(['alice asked for the status of blog']);
    expect(slack.ephemerals('bob')).toEqual([]);
    const [, buttons] = slack.ephemerals('alice');
    expect(buttons?.ephemeralTo).toBe('U01ALICE');

    await expect(slack.clickButton({ user: 'bob', channel: '#deploys', ts: buttons!.ts, actionId: 'refresh' })).rejects.toThrow(/ephemeral, shown to someone else/);
    await slack.clickButton({ user: 'alice', channel: '#deploys', ts: buttons!.ts, actionId: 'refresh' });
    // An ephemeral message's click carries no `message`, as in Slack.
    expect(seen.clicks[0]).toMatchObject({ container: { is_ephemeral: true, message_ts: buttons!.ts } });
    expect(seen.clicks[0]).not.toHaveProperty('message');
    await eventually('the replacement', () => buttons!.versions.length === 2);
    expect(currentVersion(buttons!)).toMatchObject({ text: 'blog: green 2.0.0' });
    expect(currentVersion(buttons!).blocks).toBeUndefined();
  });

  it('a 429 makes the WebClient wait Retry-After and retry; the stand-in records both answers', async () => {
    await started(deployApp);
    slack.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });
    await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog 2.0.0' });
    await eventually('the message after the retry', () => slack.messages('#deploys').length === 1, 15_000);
    expect(slack.calls('chat.postMessage').map((c) => [c.status, c.ok, c.error])).toEqual([
      [429, false, 'ratelimited'],
      [200, true, undefined],
    ]);
  });

  it('a message over Block Kit limits is refused with invalid_blocks, and assertClean names it', async () => {
    const log = errorCollector();
    await started((a) => {
      a.command('/deploy', async ({ ack, client, command }) => {
        await ack();
        await client.chat
          .postMessage({ channel: command.channel_id, text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: `Deploy ${'x'.repeat(150)}` } }] })
          .catch((err: { data?: unknown }) => seen.errors.push(err.data));
        await client.chat.postMessage({ channel: command.channel_id, blocks: [{ type: 'divider' }] });
      });
    }, log);
    await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/deploy' });
    await eventually('the second post', () => slack.calls('chat.postMessage').length === 2 && slack.messages('#deploys').length === 1);
    expect(seen.errors).toEqual([
      { ok: false, error: 'invalid_blocks', response_metadata: { messages: ['[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]'] } },
    ]);
    // The WebClient reads Slack's response_metadata and logs each message.
    expect(log.errors).toEqual([expect.stringContaining('must be less than 151 characters [json-pointer:/blocks/0/text/text]')]);
    expect(() => slack.assertClean()).toThrow(/block-kit chat\.postMessage \(invalid_blocks\): \[ERROR\] must be less than 151 characters/);
    expect(() => slack.assertClean()).toThrow(/fallback-text chat\.postMessage: blocks without a top-level text/);
    expect(slack.takeUnexpected().map((p) => p.kind)).toEqual(['block-kit', 'fallback-text']);
  });

  it('a method the stand-in does not serve is answered unknown_method and caught', async () => {
    await started(() => {});
    await expect(app!.client.reactions.add({ channel: 'C0DEPLOYS1', timestamp: '1.000001', name: 'tada' })).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    expect(() => slack.assertClean()).toThrow(/unknown-method reactions\.add \(unknown_method\)/);
    slack.takeUnexpected('unknown-method');
  });

  it('an envelope the app does not acknowledge within 3 s is detected', async () => {
    await started((a) => a.command('/deploy', async () => {}));
    await expect(slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/deploy' })).rejects.toThrow(/not acknowledged within 3000 ms \(the person sees an error\)/);
    expect(slack.socket.envelopes[0]?.outcome).toBe('un-acked');
    expect(slack.takeUnexpected().map((p) => [p.kind, p.where])).toEqual([['un-acked', 'slash_commands']]);
  });

  it('an ack payload on a click is recorded as ignored: Slack shows it to nobody', async () => {
    await started((a) => {
      a.command('/thanks', async ({ ack, respond }) => {
        await ack();
        await respond({ text: 'Thanks?', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'thanks', text: { type: 'plain_text', text: 'Thanks' } }] }] });
      });
      // Bolt types a click's ack as taking nothing; an app that passes a message anyway loses it.
      a.action('thanks', async ({ ack }) => (ack as (body: unknown) => Promise<void>)({ text: 'you are welcome' }));
    });
    await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/thanks' });
    const [buttons] = await eventually('the ephemeral buttons', () => slack.ephemerals('alice').length === 1 && slack.ephemerals('alice'));
    const click = await slack.clickButton({ user: 'alice', channel: '#deploys', ts: buttons!.ts, actionId: 'thanks' });
    expect(click.ack.payload).toEqual({ text: 'you are welcome' });
    expect(slack.takeUnexpected()).toEqual([expect.objectContaining({ kind: 'ack-ignored', where: 'interactive' })]);
  });

  it('Bolt reconnects when Slack asks it to (disconnect: refresh_requested) and when the socket drops', async () => {
    const log = errorCollector();
    await started(deployApp, log);
    const refreshed = slack.socket.nextConnection();
    expect(slack.socket.disconnect('refresh_requested')).toBe(1);
    const second = await refreshed;
    expect(slack.socket.connections[0]).toMatchObject({ disconnectSent: 'refresh_requested', closedBy: 'app', closedAt: expect.any(Number) });
    await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog 2.0.0' });
    expect(slack.socket.envelopes.at(-1)?.connection).toBe(second.id);

    const reconnected = slack.socket.nextConnection();
    expect(slack.socket.drop()).toBe(1);
    const third = await reconnected;
    expect(log.errors.join('\n')).toMatch(/WebSocket error/);
    expect(slack.socket.connections.map((c) => c.closedBy)).toEqual(['app', 'dropped', undefined]);
    expect(slack.calls('apps.connections.open')).toHaveLength(3);
    const [message] = await eventually('the deploy message', () => slack.messages('#deploys').length === 1 && slack.messages('#deploys'));
    await slack.clickButton({ user: 'bob', channel: '#deploys', ts: message!.ts, actionId: 'abort' });
    expect(slack.socket.envelopes.at(-1)?.connection).toBe(third.id);
  });
});

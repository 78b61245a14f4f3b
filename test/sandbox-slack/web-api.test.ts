import { LogLevel, webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { sandboxSlackWorkspace } from '../../src/sandbox/slack/slack-workspace.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import { trackHandles } from './slack-test-kit.js';

/** The Web API half through the real WebClient (the one Bolt hands to listeners), and response_urls as Bolt's respond() posts to them. */
let slack: SlackStandIn;
let handles: ReturnType<typeof trackHandles>;

const client = (token?: string) =>
  new webApi.WebClient(token, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });
const bot = () => client(slack.workspace.botToken);
const refusal = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error('expected Slack to refuse the call');
    },
    (err: { data?: { error?: string } }) => err.data?.error,
  );

beforeEach(async () => {
  handles = trackHandles();
  slack = await startSlackStandIn({
    workspace: sandboxSlackWorkspace({
      channels: [
        { id: 'C0DEPLOYS1', name: 'deploys', members: ['U01ALICE', 'U02BOB'] },
        { id: 'C0QUIET001', name: 'quiet', botIsMember: false },
      ],
    }),
  });
});

afterEach(async () => {
  await slack.close();
  await handles.expectNoneLeft();
  slack.assertClean();
});

describe('Web API stand-in', () => {
  it('answers auth.test for the bot token as Slack does', async () => {
    expect(await bot().auth.test()).toMatchObject({
      ok: true, url: 'https://switchyard-sandbox.slack.com/', team: 'switchyard sandbox', user: 'switchyard',
      team_id: 'T0SWITCHY1', user_id: 'U0SWBOT001', bot_id: 'B0SWBOT001', is_enterprise_install: false,
    });
  });

  it('refuses a missing, wrong or wrong-kind token, and records each', async () => {
    expect(await refusal(client().auth.test())).toBe('not_authed');
    expect(await refusal(client('xoxb-not-the-one').auth.test())).toBe('invalid_auth');
    expect(await refusal(client(slack.workspace.appToken).chat.postMessage({ channel: 'C0DEPLOYS1', text: 'hi' }))).toBe('not_allowed_token_type');
    expect(await refusal(bot().apps.connections.open())).toBe('not_allowed_token_type');
    expect(slack.calls().map((c) => c.token)).toEqual(['none', 'wrong', 'app', 'bot']);
    expect(slack.takeUnexpected().map((p) => [p.kind, p.where, p.error])).toEqual([
      ['refused', 'auth.test', 'not_authed'],
      ['refused', 'auth.test', 'invalid_auth'],
      ['refused', 'chat.postMessage', 'not_allowed_token_type'],
      ['refused', 'apps.connections.open', 'not_allowed_token_type'],
    ]);
  });

  it('answers people, user groups and channels from the workspace', async () => {
    const { user } = await bot().users.info({ user: 'U02BOB' });
    expect(user).toMatchObject({ id: 'U02BOB', name: 'bob', real_name: 'Bob Brennan', profile: { real_name: 'Bob Brennan', display_name: 'bobby' } });
    expect((await bot().usergroups.users.list({ usergroup: 'S03WEBTEAM' })).users).toEqual(['U01ALICE', 'U02BOB']);
    expect((await bot().conversations.info({ channel: 'C0DEPLOYS1' })).channel).toMatchObject({ id: 'C0DEPLOYS1', name: 'deploys', is_member: true, num_members: 2 });
    expect(await refusal(bot().users.info({ user: 'U09NOBODY' }))).toBe('user_not_found');
    expect(await refusal(bot().usergroups.users.list({ usergroup: 'S09NONE' }))).toBe('no_such_subteam');
    expect(slack.takeUnexpected().map((p) => p.error)).toEqual(['user_not_found', 'no_such_subteam']);
  });

  it('posts by channel name or id, keeps thread replies under their parent, and every version of an update', async () => {
    const parent = await bot().chat.postMessage({ channel: '#deploys', text: 'blog 2.0.0: waiting' });
    expect(parent.channel).toBe('C0DEPLOYS1');
    const reply = await bot().chat.postMessage({ channel: 'C0DEPLOYS1', thread_ts: parent.ts!, text: '3/5 ready' });
    await bot().chat.postMessage({ channel: 'C0DEPLOYS1', thread_ts: reply.ts!, text: '5/5 ready' });
    expect(reply.ts! > parent.ts!).toBe(true);

    await bot().chat.update({ channel: 'C0DEPLOYS1', ts: parent.ts!, text: 'blog 2.0.0: verifying', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*verifying*' } }] });
    await bot().chat.update({ channel: 'C0DEPLOYS1', ts: parent.ts!, text: 'blog 2.0.0: still verifying' });
    await bot().chat.update({ channel: 'C0DEPLOYS1', ts: parent.ts!, text: 'blog 2.0.0: done', blocks: [] });

    const stored = slack.message('#deploys', parent.ts!);
    expect(slack.messages('C0DEPLOYS1')).toEqual([stored]);
    expect(stored.replies.map((r) => [currentVersion(r).text, currentVersion(r).thread_ts])).toEqual([
      ['3/5 ready', parent.ts],
      ['5/5 ready', parent.ts],
    ]);
    // chat.update keeps the blocks it is not given, and drops them for [].
    expect(stored.versions.map((v) => [v.message.text, v.message.blocks?.length])).toEqual([
      ['blog 2.0.0: waiting', undefined],
      ['blog 2.0.0: verifying', 1],
      ['blog 2.0.0: still verifying', 1],
      ['blog 2.0.0: done', undefined],
    ]);

    await bot().chat.delete({ channel: 'C0DEPLOYS1', ts: reply.ts! });
    expect(slack.message('C0DEPLOYS1', reply.ts!).deleted).toBe(true);
  });

  it('refuses what Slack refuses: unknown messages and threads, a name where an id is needed, a channel the bot is not in', async () => {
    const { ts } = await bot().chat.postMessage({ channel: 'C0DEPLOYS1', text: 'x' });
    expect(await refusal(bot().chat.update({ channel: 'C0DEPLOYS1', ts: '1.000001', text: 'y' }))).toBe('message_not_found');
    expect(await refusal(bot().chat.update({ channel: '#deploys', ts: ts!, text: 'y' }))).toBe('channel_not_found');
    expect(await refusal(bot().chat.postMessage({ channel: 'C0DEPLOYS1', thread_ts: '1.000001', text: 'y' }))).toBe('invalid_thread_ts');
    expect(await refusal(bot().chat.postMessage({ channel: '#quiet', text: 'y' }))).toBe('not_in_channel');
    expect(await refusal(bot().chat.postMessage({ channel: '#nowhere', text: 'y' }))).toBe('channel_not_found');
    expect(await refusal(bot().chat.postMessage({ channel: 'C0DEPLOYS1', text: '' }))).toBe('no_text');
    expect(await refusal(bot().chat.postEphemeral({ channel: 'C0DEPLOYS1', user: 'U03CAROL', text: 'y' }))).toBe('user_not_in_channel');
    expect(slack.takeUnexpected().map((p) => p.error)).toEqual([
      'message_not_found', 'channel_not_found', 'invalid_thread_ts', 'not_in_channel', 'channel_not_found', 'no_text', 'user_not_in_channel',
    ]);
  });

  it('truncates text over 40 000 characters, as Slack does, and records it', async () => {
    const { message } = await bot().chat.postMessage({ channel: 'C0DEPLOYS1', text: 'x'.repeat(40_001) });
    expect(message?.text).toHaveLength(40_000);
    expect(slack.takeUnexpected()).toEqual([expect.objectContaining({ kind: 'block-kit', detail: expect.stringMatching(/Slack truncates it/) })]);
  });

  it('reads a JSON body with the token in the Authorization header', async () => {
    const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${slack.workspace.botToken}` },
      body: JSON.stringify({ channel: 'C0DEPLOYS1', text: 'from JSON', blocks: [{ type: 'divider' }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0DEPLOYS1', message: { text: 'from JSON', blocks: [{ type: 'divider', block_id: expect.any(String) }] } });
  });

  it('takes five posts on a response_url, refuses the sixth, and refuses a URL it never issued', async () => {
    const { response_url: url } = slack.slashCommandPayload({ user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog' });
    const post = (body: unknown, to = url) => fetch(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => [r.status, await r.json()]);
    for (let i = 1; i <= 5; i++) expect(await post({ text: `step ${i}` })).toEqual([200, { ok: true }]);
    expect(await post({ text: 'step 6' })).toEqual([404, { ok: false, error: 'used_url' }]);
    expect(await post({ text: 'x' }, `${url}x`)).toEqual([404, { ok: false, error: 'invalid_url' }]);
    expect(slack.ephemerals('alice').map((m) => currentVersion(m).text)).toEqual(['step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
    expect(slack.takeUnexpected().map((p) => [p.kind, p.error])).toEqual([
      ['response-url', 'used_url'],
      ['response-url', 'invalid_url'],
    ]);
  });

  it('replaces a command response posted earlier through the same response_url; without one there is nothing to replace', async () => {
    const { response_url: url } = slack.slashCommandPayload({ user: 'alice', channel: '#deploys', command: '/status' });
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
    expect(await post({ replace_original: true, text: 'nothing yet' })).toBe(400);
    expect(await post({ text: 'blue 1.0.0' })).toBe(200);
    expect(await post({ replace_original: true, text: 'green 2.0.0' })).toBe(200);
    expect(slack.responses().map((r) => r.outcome)).toEqual(['refused', 'ephemeral', 'replaced']);
    expect(slack.ephemerals('alice')[0]?.versions.map((v) => v.message.text)).toEqual(['blue 1.0.0', 'green 2.0.0']);
    expect(slack.takeUnexpected().map((p) => p.error)).toEqual(['message_not_found']);
  });
});

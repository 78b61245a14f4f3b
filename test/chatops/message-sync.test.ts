import { afterEach, describe, expect, it } from 'vitest';
import { LogLevel, webApi } from '@slack/bolt';
import { MessageSync } from '../../src/chatops/message-sync.js';
import type { DeploySnapshot } from '../../src/deploy/deploy-feed.js';
import { systemClock } from '../../src/deploy/system-clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slack/start-slack-stand-in.js';
import { emptyAppState, type DeployRecord } from '../../src/state/app-state.js';
import { world } from '../deploy/fake-ports.js';
import { appConfig, record } from '../deploy/fixtures.js';

let slack: SlackStandIn | undefined;
afterEach(async () => {
  await slack?.close();
  slack?.assertClean();
  slack = undefined;
});

/** A MessageSync on the real WebClient against the Slack stand-in, and a deploy service whose state holds `r`. */
async function given(r: DeployRecord, app: Record<string, unknown> = {}) {
  slack = await startSlackStandIn();
  const w = world({ app });
  w.state.states.set('blog', { ...emptyAppState('blog'), live: { colour: 'blue', version: 'v1' }, inFlight: r });
  const client = new webApi.WebClient(slack.workspace.botToken, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });
  const sync = new MessageSync({
    client,
    service: w.service,
    apps: [appConfig(app)],
    channel: '#deploys',
    clock: systemClock,
    log: silentLogger,
    minEditMs: 50,
  });
  let revision = 0;
  const snap = (rec: DeployRecord): DeploySnapshot => ({
    revision: ++revision,
    app: 'blog',
    record: rec,
    live: { colour: 'blue', version: 'v1' },
    previous: null,
    progress: {},
    previewUrls: [],
    nodes: [],
  });
  return { w, sync, snap, slack };
}

async function until<T>(check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('MessageSync', () => {
  it('posts a deploy once, notes where in the record, and edits that message from then on', async () => {
    const { w, sync, snap, slack } = await given(record('creating'));
    sync.update(snap(record('creating')));
    const chat = await until(() => w.state.states.get('blog')?.inFlight?.chat);
    expect(chat.channel).toBe('C0DEPLOYS1');
    sync.update(snap(record('waiting', { chat })));
    await until(() => slack.calls('chat.update').length === 1);
    await sync.close();
    expect(slack.messages('#deploys')).toHaveLength(1);
    expect(JSON.stringify(currentVersion(slack.messages('#deploys')[0]!).blocks)).toContain('waiting');
  });

  it('coalesces while Slack holds an edit back (429): the newest snapshot is drawn next, the ones between never', async () => {
    const { sync, snap, slack } = await given(record('creating'));
    const chat = { channel: 'C0DEPLOYS1', ts: '' };
    sync.update(snap(record('creating')));
    chat.ts = (await until(() => slack.messages('#deploys')[0]))!.ts;
    await until(() => slack.calls('chat.postMessage').length === 1);
    slack.rateLimit('chat.update', { times: 1, retryAfterSeconds: 1 });
    sync.update(snap(record('waiting', { chat })));
    await until(() => slack.calls('chat.update').some((c) => c.status === 429));
    for (const phase of ['verifying', 'switching', 'draining'] as const) sync.update(snap(record(phase, { chat })));
    await until(() => slack.calls('chat.update').filter((c) => c.ok).length === 2);
    await sync.close();
    const drawn = slack.calls('chat.update').filter((c) => c.ok).map((c) => JSON.stringify(c.args.blocks));
    expect(drawn[0]).toContain('waiting');
    expect(drawn[1]).toContain('draining');
  });

  it('deletes its own message when another agent noted one first', async () => {
    const other = { channel: 'C0DEPLOYS1', ts: '1700000000.000100' };
    const { w, sync, snap, slack } = await given(record('creating'));
    w.state.states.get('blog')!.inFlight!.chat = other;
    sync.update(snap(record('creating')));
    await until(() => slack.calls('chat.delete').length === 1);
    await sync.close();
    expect(w.state.states.get('blog')?.inFlight?.chat).toEqual(other);
    expect(slack.messages('#deploys').filter((m) => !m.deleted)).toEqual([]);
  });
});

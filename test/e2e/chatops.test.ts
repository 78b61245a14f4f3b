import { expect, it } from 'vitest';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { buttonsOf, CHANNEL, chatStories, shownText, type ChatStory } from '../support/chat-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet } from '../support/fleet.js';

const stories = chatStories();
const ci = { via: 'ci' as const, id: 'ci', name: 'github-actions' };

/** Waits until the channel's only deploy message shows `text` (edits are coalesced, so a phase may be skipped). */
async function untilShown(story: ChatStory, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [m] = story.messages();
    if (m && shownText(m).includes(text)) return;
    if (Date.now() > deadline) throw new Error(`the deploy message never showed "${text}"; it shows ${m ? shownText(m) : 'nothing'}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function untilButtons(story: ChatStory, want: string[]): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [m] = story.messages();
    if (m && JSON.stringify(buttonsOf(m)) === JSON.stringify(want)) return m.ts;
    if (Date.now() > deadline) throw new Error(`the deploy message never offered ${want.join(', ')}; it offers ${m ? buttonsOf(m).join(', ') : 'nothing'}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeOnFleet('Slack: deploys seen, approved and undone in one message per deploy', () => {
  it('a CI deploy waits for Start, is promoted after a confirmation, and one message is edited through every phase', async () => {
    const story = await stories.given({ app: { requireStart: true } });
    await story.agent.service.deploy('blog', '2.0.0', { by: ci, hold: true, commit: 'abc1234' });
    const ts = await untilButtons(story, ['start', 'reject']);
    expect(shownText(story.messages()[0]!)).toContain('waiting for someone to Start it');
    expect(story.env.kube.store.find('replicasets', 'blog', 'blog-green')).toBeUndefined();

    await story.slack.clickButton({ user: 'alice', channel: CHANNEL, ts, actionId: 'start' });
    await untilButtons(story, ['promote', 'abort']);
    await untilShown(story, 'http://');
    const promote = await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'promote' });
    expect(promote.confirmation?.text).toContain('Switch 3 nodes of blog from blue 1.0.0 to green 2.0.0');
    await story.untilState((s) => s.inFlight === null, 'the deploy to end');
    await untilShown(story, 'done: green 2.0.0 is live');

    const messages = story.messages();
    expect(messages).toHaveLength(1);
    const [m] = messages;
    const shown = m!.versions.map((v) => JSON.stringify(v.message.blocks));
    // Every edit is of the same message, and it went through the phases in order.
    const order = ['waiting for someone to Start it', 'Promote or Abort', 'done: green 2.0.0 is live'].map((t) => shown.findIndex((s) => s.includes(t)));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    expect(shownText(m!)).toContain('started by alice (slack)');
    expect(shownText(m!)).toContain('promoted by bobby (slack)');
    expect(shownText(m!)).toContain('commit `abc1234`');
    expect(buttonsOf(m!)).toEqual(['rollback']);
    const thread = m!.replies.map((r) => currentVersion(r).text).join('\n');
    expect(thread).toContain('start requested (alice (slack))');
    expect(thread).toContain('promote requested (bobby (slack))');
    expect(story.state().history[0]).toMatchObject({ phase: 'done', startedBy: { id: 'U01ALICE' }, promotedBy: { id: 'U02BOB' }, chat: { ts } });
    expect(await expectConsistent(story.env)).toMatchObject({ colour: 'green', version: '2.0.0' });
  });
});

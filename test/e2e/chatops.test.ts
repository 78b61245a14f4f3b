import { expect, it } from 'vitest';
import { AppStateStore } from '../../src/cluster/app-state-store.js';
import { eventually } from '../sandbox-slack/slack-test-kit.js';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { buttonsOf, CHANNEL, chatStories, CI_TOKEN, shownText, type ChatStory } from '../support/chat-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet } from '../support/fleet.js';

const stories = chatStories();

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
    const posted = await fetch(`${story.apiUrl}/api/v1/deploys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CI_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'run-1' },
      body: JSON.stringify({ app: 'blog', version: '2.0.0', commit: 'abc1234', requestedBy: 'github-actions' }),
    });
    expect(posted.status).toBe(202);
    expect(await posted.json()).toMatchObject({ held: true });
    const ts = await untilButtons(story, ['start', 'reject']);
    expect(shownText(story.messages()[0]!)).toContain('waiting for someone to Start it');
    expect(story.env.kube.store.find('replicasets', 'blog', 'blog-green')).toBeUndefined();

    await story.slack.clickButton({ user: 'alice', channel: CHANNEL, ts, actionId: 'start' });
    await untilButtons(story, ['promote', 'abort']);
    await untilShown(story, 'http://');
    const promote = await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'promote' });
    expect(promote.confirmation?.text).toContain('Switch 3 nodes of blog from blue 1.0.0 to green 2.0.0');
    await story.untilIdle();
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
    expect(shownText(m!)).toContain('asked by github-actions (ci) · commit `abc1234`');
    expect(buttonsOf(m!)).toEqual(['rollback']);
    const thread = m!.replies.map((r) => currentVersion(r).text).join('\n');
    expect(thread).toContain('start requested (alice (slack))');
    expect(thread).toContain('promote requested (bobby (slack))');
    expect(story.state().history[0]).toMatchObject({ phase: 'done', startedBy: { id: 'U01ALICE' }, promotedBy: { id: 'U02BOB' }, chat: { ts } });
    expect(await expectConsistent(story.env)).toMatchObject({ colour: 'green', version: '2.0.0' });
  });

  it('aborts from the Abort button: the new colour goes, traffic never moved', async () => {
    const story = await stories.given();
    const { ack } = await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    expect(ack.latencyMs).toBeGreaterThanOrEqual(0);
    const ts = await untilButtons(story, ['promote', 'abort']);
    const abort = await story.slack.clickButton({ user: 'alice', channel: CHANNEL, ts, actionId: 'abort' });
    expect(abort.confirmation?.text).toContain('Remove green 2.0.0 of blog; traffic stays on blue 1.0.0.');
    await story.untilIdle();
    await untilShown(story, 'aborted by alice (slack); traffic untouched');
    expect(buttonsOf(story.messages()[0]!)).toEqual([]);
    expect(await expectConsistent(story.env)).toMatchObject({ colour: 'blue', version: '1.0.0' });
  });

  it('rolls back from the slash command by on-call (a group member), in a message of its own', async () => {
    const story = await stories.given({ app: { verify: { required: false } } });
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    await untilShown(story, 'done: green 2.0.0 is live');
    await story.slack.slashCommand({ user: 'carol', channel: CHANNEL, command: '/deploy', text: 'rollback blog' });
    await story.untilState((s) => s.history[0]?.kind === 'rollback', 'the rollback to be recorded');
    await story.untilIdle();
    const deadline = Date.now() + 30_000;
    while (!(story.messages()[1] && shownText(story.messages()[1]!).includes('rolled back: blue 1.0.0 is live'))) {
      if (Date.now() > deadline) throw new Error('no rollback message');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(shownText(story.messages()[1]!)).toContain('asked by carol (on call) (slack)');
    const reply = story.slack.responses().find((r) => JSON.stringify(r.body).includes('Rolling blog back'));
    expect(reply?.outcome).toBe('ephemeral');
    expect(await expectConsistent(story.env)).toMatchObject({ colour: 'blue', version: '1.0.0' });
  });

  it('refuses a person without the role, naming the role, and changes nothing', async () => {
    const story = await stories.given();
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    const ts = await untilButtons(story, ['promote', 'abort']);
    const before = JSON.stringify(story.state());
    await story.slack.clickButton({ user: 'carol', channel: CHANNEL, ts, actionId: 'promote' });
    const refusal = await eventually('the refusal to promote', () => story.slack.responses().find((r) => JSON.stringify(r.body).includes('may not promote')), 30_000);
    expect(refusal.outcome).toBe('ephemeral');
    expect(JSON.stringify(refusal.body)).toContain('carol (on call) (slack) may not promote blog: it needs the approve role');
    await story.slack.slashCommand({ user: 'carol', channel: CHANNEL, command: '/deploy', text: 'blog 3.0.0' });
    await eventually('the refusal to deploy', () => story.slack.responses().find((r) => JSON.stringify(r.body).includes('may not deploy blog: it needs the deploy role')), 30_000);
    expect(JSON.stringify(story.state())).toBe(before);
    await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'abort' });
    await story.untilState((s) => s.inFlight === null, 'the abort to end');
  });

  it('answers a second deploy of a busy app with who holds it, and bad input with the right form, changing nothing', async () => {
    const story = await stories.given();
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    const ts = await untilButtons(story, ['promote', 'abort']);
    await story.slack.slashCommand({ user: 'bob', channel: CHANNEL, command: '/deploy', text: 'blog 3.0.0' });
    const busy = await eventually('the answer naming who holds blog', () => story.slack.responses().find((r) => JSON.stringify(r.body).includes('is held by')), 30_000);
    expect(JSON.stringify(busy.body)).toMatch(/blog is held by .* for deploy blog-[0-9a-f]+ \(2\.0\.0, asked by alice \(slack\)\), now verifying/);
    const bad = await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 3.0;reboot' });
    expect(JSON.stringify(bad.response?.body)).toContain('invalid version');
    expect(bad.response?.outcome).toBe('ephemeral');
    expect(story.state().inFlight?.version).toBe('2.0.0');
    await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'abort' });
    await story.untilState((s) => s.inFlight === null, 'the abort to end');
  });

  it('answers a click on a button that no longer applies plainly, and does nothing', async () => {
    const story = await stories.given();
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    const ts = await untilButtons(story, ['promote', 'abort']);
    await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'abort' });
    await story.untilState((s) => s.inFlight === null, 'the abort to end');
    await untilButtons(story, []);
    await story.slack.clickStale({ user: 'bob', channel: CHANNEL, ts, actionId: 'promote' });
    const stale = await eventually('the answer to the stale click', () => story.slack.responses().find((r) => JSON.stringify(r.body).includes('already ended')), 30_000);
    expect(JSON.stringify(stale.body)).toMatch(/blog-[0-9a-f]+` already ended: aborted by bobby \(slack\)/);
    expect(story.state().history[0]?.phase).toBe('aborted');
  });

  it('reminds in the thread at half the verification timeout, and posts the auto-abort at the timeout', async () => {
    const story = await stories.given({ app: { verify: { timeout: '1h' } } });
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    await untilButtons(story, ['promote', 'abort']);
    // An hour goes by in a moment: the recorded deadline (which every agent goes by) is brought to 2 s from now.
    const verifyUntil = new Date(Date.now() + 2000).toISOString();
    await new AppStateStore(story.env.kubeClients).updateAppState('blog', 'blog', (s) => ({ ...s, inFlight: { ...s.inFlight!, verifyUntil } }));
    await story.untilState((s) => s.history[0]?.phase === 'aborted', 'the verification to time out');
    await untilShown(story, 'timed out');
    const thread = await eventually('the aborted line in the thread', () => {
      const lines = story.messages()[0]!.replies.map((r) => currentVersion(r).text);
      return lines.some((l) => l.startsWith('aborted:')) ? lines : undefined;
    });
    expect(thread.filter((l) => l.includes('still waits for Promote or Abort'))).toHaveLength(1);
    expect(thread.at(-1)).toMatch(/^aborted: verification of blog 2\.0\.0 timed out/);
    expect(thread.findIndex((l) => l.includes('still waits'))).toBeLessThan(thread.length - 1);
  });

  it('keeps editing the same message after the agent restarts mid-deploy', async () => {
    const story = await stories.given();
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    const ts = await untilButtons(story, ['promote', 'abort']);
    await story.restartAgent();
    await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'promote' });
    await untilShown(story, 'done: green 2.0.0 is live');
    expect(story.messages()).toHaveLength(1);
    expect(story.messages()[0]!.ts).toBe(ts);
    // The thread is told just after the edit that shows the end.
    const takeover = await eventually('the takeover in the thread', () =>
      story.messages()[0]!.replies.map((r) => currentVersion(r).text).find((l) => l.includes('taken over after a restart by')), 30_000);
    expect(takeover).toMatch(/taken over after a restart by .*: continued \(it was verifying\)/);
  });
});

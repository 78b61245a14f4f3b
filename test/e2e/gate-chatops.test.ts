import { expect, it } from 'vitest';
import { startLoad } from '../../src/sandbox/load/http-load.js';
import { eventually } from '../sandbox-slack/slack-test-kit.js';
import { buttonsOf, CHANNEL, chatStories, shownText, type ChatStory } from '../support/chat-story.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';

const stories = chatStories();

/** The channel's deploy message, once it shows `text`. */
const untilShown = (story: ChatStory, text: string): Promise<string> =>
  eventually(`the deploy message to show "${text}"`, () => {
    const [m] = story.messages();
    return m && shownText(m).includes(text) ? shownText(m) : undefined;
  }, 30_000);

describeOnFleet('Slack: the gate\'s window in the deploy message, ended by on-call', () => {
  it('promoted from Slack, the message shows the gate\'s live figures; only the rollback role may end the window, and its Roll back goes back at once', async () => {
    const story = await stories.given({ app: { gate: { window: '10m', checkEvery: '500ms', minRequests: 5 } } });
    const load = startLoad(story.env.fleet.nodes.map((n) => ({ host: n.address, port: 80 })), { mode: 'close', perTarget: 1 });
    try {
      await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
      const ts = await eventually('Promote', () => (story.messages()[0] && buttonsOf(story.messages()[0]!).includes('promote') ? story.messages()[0]!.ts : undefined), 30_000);
      await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'promote' });

      // Live figures, per node, as the checks come in.
      const shown = await untilShown(story, 'node-3: ');
      expect(shown).toMatch(/Gate until \d\d:\d\d:\d\d UTC \(nginx\): \d+ requests, 5xx 0\.0% \(0\)/);
      expect(shown).toContain('gate watching the new colour');
      expect(buttonsOf(story.messages()[0]!)).toEqual(['gate-accept', 'gate-rollback']);

      // Ending the window takes the rollback role, either way.
      await story.slack.clickButton({ user: 'bob', channel: CHANNEL, ts, actionId: 'gate-accept' });
      const refusal = await eventually('the refusal', () => story.slack.responses().find((r) => JSON.stringify(r.body).includes('may not')), 30_000);
      expect(JSON.stringify(refusal.body)).toContain('may not rollback blog: it needs the rollback role');
      expect(story.state().inFlight?.phase).toBe('gating');

      const click = await story.slack.clickButton({ user: 'carol', channel: CHANNEL, ts, actionId: 'gate-rollback' });
      expect(click.confirmation?.text).toContain('Switch every node of blog back to blue 1.0.0 at once; green 2.0.0 is kept for inspection.');
      await untilShown(story, 'auto-rolled-back: gate window ended early by carol (on call) (slack): rolled back; blue 1.0.0 is live again');
      expect(buttonsOf(story.messages()[0]!)).toEqual([]);
      expect(await servedByAll(story.env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
    } finally {
      const report = await load.stop();
      expect(report.connectionErrors + report.badStatus, report.samples.join('\n')).toBe(0);
    }
  });
});

import { expect, it } from 'vitest';
import { signedSlackRequest } from '../../src/sandbox/slack/signed-slack-request.js';
import { buttonsOf, CHANNEL, chatStories, type ChatStory } from '../support/chat-story.js';
import { describeOnFleet } from '../support/fleet.js';

const stories = chatStories();
const FIVE_MINUTES_AND_A_BIT = 5 * 60 + 10;

async function untilMessageWith(story: ChatStory, buttons: string[]): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [m] = story.messages();
    if (m && JSON.stringify(buttonsOf(m)) === JSON.stringify(buttons)) return m.ts;
    if (Date.now() > deadline) throw new Error(`no deploy message offering ${buttons.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeOnFleet('Slack in HTTP mode: Bolt\'s HTTP receiver behind the signature check', () => {
  it('refuses a bad signature, a stale request and one signed in the future, changing nothing; takes a signed one', async () => {
    const story = await stories.given({ mode: 'http' });
    const url = story.url!;
    const secret = story.slack.workspace.signingSecret;
    const command = () => story.slack.slashCommandPayload({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' }) as unknown as Record<string, string>;
    const now = Math.floor(Date.now() / 1000);
    const refused = [
      await signedSlackRequest(url, { command: command() }, { signingSecret: secret, signature: 'wrong' }),
      await signedSlackRequest(url, { command: command() }, { signingSecret: secret, timestamp: now - FIVE_MINUTES_AND_A_BIT }),
      await signedSlackRequest(url, { command: command() }, { signingSecret: secret, timestamp: now + FIVE_MINUTES_AND_A_BIT }),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(story.state().inFlight).toBeNull();
    expect(story.messages()).toEqual([]);

    const ok = await signedSlackRequest(url, { command: command() }, { signingSecret: secret });
    expect(ok.status).toBe(200);
    const ts = await untilMessageWith(story, ['promote', 'abort']);
    const click = story.slack.buttonClick({ user: 'bob', channel: CHANNEL, ts, actionId: 'abort' });
    const forged = await signedSlackRequest(url, { interactive: click.payload as unknown as Record<string, unknown> }, { signingSecret: secret, signature: 'wrong' });
    expect(forged.status).toBe(401);
    expect(story.state().inFlight?.abortedBy).toBeUndefined();
    const real = await signedSlackRequest(url, { interactive: click.payload as unknown as Record<string, unknown> }, { signingSecret: secret });
    expect(real.status).toBe(200);
    await story.untilState((s) => s.inFlight === null && s.history[0]?.phase === 'aborted', 'the abort to end');
  });
});

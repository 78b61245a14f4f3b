import { expect, it } from 'vitest';
import { currentVersion } from '../../src/sandbox/slack/message-store.js';
import { eventually } from '../sandbox-slack/slack-test-kit.js';
import { CHANNEL, chatStories, CI_TOKEN, ROLES, shownText, type ChatStory } from '../support/chat-story.js';
import { describeOnFleet } from '../support/fleet.js';

const stories = chatStories();

/** "2026-11-29": a day `days` from today (UTC). */
const day = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** A one-off window around the test's run, in Berlin: whole days either side, so no wall-clock edge is near. */
const incident = { timeZone: 'Europe/Berlin', windows: [{ name: 'incident', from: day(-1), to: day(3) }] };

function postDeploy(story: ChatStory, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${story.apiUrl}/api/v1/deploys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CI_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app: 'blog', version: '2.0.0', ...body }),
  });
}

/** The ephemeral reply to a slash command that contains `text`. */
const reply = (story: ChatStory, text: string) =>
  eventually(`a reply with "${text}"`, () => story.slack.responses().find((r) => JSON.stringify(r.body).includes(JSON.stringify(text).slice(1, -1))), 30_000);

describeOnFleet('Freeze windows through the API and Slack', () => {
  it('refuses deploys with the window and its end, lets the overrideFreeze role through with a reason, and shows it', async () => {
    const story = await stories.given({
      nodes: 1,
      app: { freeze: incident },
      // carol (on call) may deploy and override; the CI token "ci" may override too.
      roles: { deploy: [...ROLES.deploy, 'S04ONCALL'], overrideFreeze: ['S04ONCALL', 'ci:ci'] },
    });
    const replicaSets = () => story.env.kube.store.list('replicasets', 'blog').items.map((rs) => rs.metadata.name);
    const before = replicaSets();

    // The API says a deploy would be refused, and refuses one with 423 and when to retry.
    const app = await fetch(`${story.apiUrl}/api/v1/apps/blog`, { headers: { authorization: `Bearer ${CI_TOKEN}` } });
    const { freeze } = (await app.json()) as { freeze: { windows: string[]; until: string; message: string } };
    expect(freeze.windows).toEqual(['incident']);
    expect(freeze.message).toMatch(/^deploys of blog are frozen by "incident" \(.* Europe\/Berlin\) until \w{3} \d{4}-\d\d-\d\d 00:00 Europe\/Berlin \((.* )?\d\d:00 UTC\)$/);
    const refused = await postDeploy(story, {});
    expect(refused.status).toBe(423);
    expect(new Date(refused.headers.get('retry-after')!).toISOString()).toBe(freeze.until);
    expect(await refused.json()).toEqual({ error: { code: 'deploy-frozen', message: freeze.message, hint: expect.stringContaining('"overrideFreeze": "<why>" (API)') } });

    // Slack: refused without an override, and with one from someone without the role.
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0' });
    await reply(story, freeze.message);
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0 --override-freeze "I want to"' });
    await reply(story, 'alice (slack) may not override a freeze of blog: it needs the overrideFreeze role');
    expect(replicaSets()).toEqual(before);
    expect(story.state().inFlight).toBeNull();

    // On-call overrides from Slack: the deploy runs, its message and thread say who and why.
    await story.slack.slashCommand({ user: 'carol', channel: CHANNEL, command: '/deploy', text: 'blog 2.0.0 --override-freeze “hotfix for INC-2041”' });
    await reply(story, 'Deploying blog 2.0.0');
    const shown = 'freeze \\"incident\\" overridden by carol (on call) (slack): hotfix for INC-2041';
    const message = await eventually('the override in the deploy message', () => story.messages().find((m) => shownText(m).includes(shown)), 30_000);
    await eventually('the override in the thread', () => message.replies.some((r) => currentVersion(r).text?.includes('freeze overridden ("incident"): hotfix for INC-2041 (carol (on call) (slack))')), 30_000);
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'abort blog' });
    const afterSlack = await story.untilIdle();
    expect(afterSlack.history[0]).toMatchObject({ phase: 'aborted', freezeOverride: { windows: ['incident'], until: freeze.until, reason: 'hotfix for INC-2041', by: { via: 'slack', id: 'U03CAROL' } } });

    // CI overrides through the API with its token in the role.
    const overridden = await postDeploy(story, { overrideFreeze: 'release train 42' });
    expect(overridden.status).toBe(202);
    const { url } = (await overridden.json()) as { url: string };
    const record = (await (await fetch(url, { headers: { authorization: `Bearer ${CI_TOKEN}` } })).json()) as Record<string, unknown>;
    expect(record.freezeOverride).toEqual({ windows: ['incident'], until: freeze.until, reason: 'release train 42', by: { via: 'ci', id: 'ci', name: 'ci' } });
    await story.slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'abort blog' });
    await story.untilIdle();
  });
});

import { expect, it } from 'vitest';
import { alice, bob } from '../support/deploy-story.js';
import { describeOnFleet } from '../support/fleet.js';
import { apiStories, type ApiStory } from './api-story.js';

describeOnFleet('HTTP API: a CI deploy of an app that needs a Start in Slack', () => {
  const stories = apiStories();
  const replicaSets = (s: ApiStory) => s.env.kube.store.list('replicasets', 'blog').items.map((rs) => rs.metadata.name).sort();

  it('waits in pending, creating nothing, with heartbeats on its event stream, until someone starts it', async () => {
    const s = await stories.given({ app: { requireStart: true }, heartbeatMs: 50 });
    const post = await s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '2.0.0' } });
    expect(post.status).toBe(202);
    expect(post.body.held).toBe(true);

    // The stream shows it pending and held, and keeps talking while nothing happens.
    const events = await s.events(post.body.eventsUrl);
    const pending = await events.untilPhase('pending');
    expect(pending.data.deploy).toMatchObject({ id: post.body.id, held: true, requestedBy: { via: 'ci', id: 'ci' } });
    expect(pending.data.deploy.startedBy).toBeUndefined();
    await events.untilComment();
    expect(replicaSets(s)).toEqual(['blog-blue']);
    expect(s.story.state().inFlight).toMatchObject({ id: post.body.id, phase: 'pending' });
    expect((await s.call('GET', '/api/v1/apps/blog')).body.inFlight).toMatchObject({ id: post.body.id, phase: 'pending', held: true });

    // alice presses Start (the Slack button calls this): only now is green created.
    await s.story.agent.service.startHeld('blog', alice);
    const verifying = await events.untilPhase('verifying');
    expect(verifying.data.deploy.startedBy).toEqual(alice);
    expect(replicaSets(s)).toEqual(['blog-blue', 'blog-green']);
    expect(events.phases().indexOf('creating')).toBeGreaterThan(events.phases().lastIndexOf('pending'));

    // bob aborts it: the stream ends with that, and green is gone.
    await s.story.whenAborted(bob);
    const all = await events.ended;
    expect(all.at(-1)!.data.deploy).toMatchObject({ phase: 'aborted', abortedBy: bob });
    expect(replicaSets(s)).toEqual(['blog-blue']);
  });

  it('ends open event streams when the agent stops; the deploy stays in flight for the next agent', async () => {
    const s = await stories.given({ app: { requireStart: true } });
    const post = await s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '2.0.0' } });
    const events = await s.events(post.body.eventsUrl);
    await events.untilPhase('pending');
    await s.close();
    expect((await events.ended).map((e) => e.data.deploy.phase)).toEqual(['pending']);
    expect(s.story.state().inFlight).toMatchObject({ id: post.body.id, phase: 'pending', hold: true });
  });
});

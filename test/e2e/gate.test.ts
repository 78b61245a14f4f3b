import { expect, it } from 'vitest';
import { createAgent } from '../../src/agent/create-agent.js';
import { createLogger } from '../../src/log/logger.js';
import { startLoad } from '../../src/sandbox/load/http-load.js';
import { alice, carol, deployStories, type DeployStory } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';

/** A gate that judges quickly: checks twice a second, a few requests suffice. */
const gate = (over: Record<string, unknown> = {}) => ({ window: '20s', checkEvery: '500ms', minRequests: 10, maxErrorRatio: 0.05, ...over });
/** No pause before the switch: the gate is what stands between a bad version and its users here. */
const app = (over: Record<string, unknown> = {}) => ({ verify: { required: false }, gate: gate(over) });

/** Every node answers `body` to `n` more requests each, with nothing failed. */
async function expectOnlyServes(story: DeployStory, body: string): Promise<void> {
  const load = startLoad(story.env.fleet.nodes.map((n) => ({ host: n.address, port: 80 })), { mode: 'close', perTarget: 2 });
  await load.nextAnswers();
  await load.nextAnswers();
  const after = await load.stop();
  expect(after.connectionErrors + after.badStatus, after.samples.join('\n')).toBe(0);
  expect(Object.keys(after.bodies)).toEqual([body]);
}

describeOnFleet('the metrics gate after the switch, on three real nodes under load (invariant 4)', () => {
  const stories = deployStories();

  it('a version answering 500 to a share of requests is rolled back by itself, the old colour serving again without a failure', async () => {
    const story = await stories.given({ app: app(), versions: { '2.0.0': { errorShare: 0.3 } } });
    await story.givenLoad();
    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();

    expect(record).toMatchObject({ phase: 'auto-rolled-back', toColour: 'green', fromColour: 'blue' });
    expect(record.gate?.rollback?.crossed[0]).toMatch(/^5xx \d+\.\d% > 5\.0%$/);
    // Evidence: the figures, per node, and which nodes crossed.
    expect(record.gate?.rollback?.figures?.nodes?.map((n) => n.node)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(record.gate?.rollback?.nodes.length).toBeGreaterThan(0);
    expect(record.transitions.some((t) => t.phase === 'draining' || t.phase === 'retiring')).toBe(false);
    expect(await servedByAll(story.env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
    // The new colour is kept as it was, for inspection.
    expect(story.replicaSet('green')?.version).toBe('2.0.0');
    expect(story.state().live).toEqual({ colour: 'blue', version: '1.0.0' });

    const during = await story.loadReport();
    // The switch there and back dropped no connection; only 2.0.0 ever failed a request.
    expect(during.connectionErrors, during.samples.join('\n')).toBe(0);
    expect(during.badStatus).toBeGreaterThan(0);
    expect(during.samples.every((s) => s.includes('HTTP 500 blog 2.0.0 failed'))).toBe(true);
    await expectOnlyServes(story, 'blog 1.0.0');
  });

  it('a good version passes the window and only then drains and retires the old colour', async () => {
    const story = await stories.given({ app: app({ window: '3s' }) });
    await story.givenLoad();
    await story.whenDeployed('2.0.0', alice);
    const gating = await story.untilPhase('gating');
    expect(story.replicaSet('blue')?.version, 'the old colour runs through the window').toBe('1.0.0');
    const record = await story.untilFinished();

    expect(record.phase).toBe('done');
    const passed = record.transitions.find((t) => t.phase === 'draining');
    expect(passed?.note).toMatch(/^gate passed: \d+ requests, 5xx 0\.0% \(0\)/);
    // The drain began only once the window had passed.
    expect(new Date(passed!.at).getTime()).toBeGreaterThanOrEqual(new Date(gating.gate!.until).getTime());
    const load = await story.loadReport();
    expect(load.connectionErrors + load.badStatus, load.samples.join('\n')).toBe(0);
    await expectConsistent(story.env);
  });

  it('a slow version trips the latency threshold', async () => {
    const story = await stories.given({ app: app({ maxP95Seconds: '150ms' }), versions: { '2.0.0': { delayMs: 300 } } });
    await story.givenLoad();
    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();

    expect(record.phase).toBe('auto-rolled-back');
    expect(record.gate?.rollback?.crossed).toEqual([expect.stringMatching(/^p95 \d+ ms > 150 ms$/)]);
    await story.loadReport();
    await expectOnlyServes(story, 'blog 1.0.0');
  });

  it('a source it cannot read rolls back (onUnreadable: rollback), never passes', async () => {
    const story = await stories.given({ app: app({ accessLog: '/nonexistent/switchyard-blog.log' }) });
    await story.whenDeployed('2.0.0', alice);
    const record = await story.untilFinished();

    expect(record.phase).toBe('auto-rolled-back');
    expect(record.gate?.rollback?.reason).toMatch(/gate log unreadable: node-1: cannot read \/nonexistent/);
    expect(await servedByAll(story.env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
  });

  it('a source it cannot read holds the window (onUnreadable: hold) until a person accepts', async () => {
    const story = await stories.given({ app: app({ accessLog: '/nonexistent/switchyard-blog.log', onUnreadable: 'hold', window: '2s' }) });
    await story.whenDeployed('2.0.0', alice);
    const held = await story.untilPhase('gating').then(() => story.untilHeld());
    expect(held.gate?.held?.message).toMatch(/cannot read/);
    // Long past the window, still held: it never ends by itself.
    await new Promise((r) => setTimeout(r, 2500));
    expect(story.state().inFlight?.phase).toBe('gating');

    await story.agent.service.endGate('blog', carol, 'accept');
    const record = await story.untilFinished();
    expect(record.phase).toBe('done');
    expect(record.transitions.find((t) => t.phase === 'draining')).toMatchObject({ by: carol, note: 'gate window ended early by carol (slack): accepted' });
  });

  it('a person ends the window early with a roll back: the same instant switch back', async () => {
    const story = await stories.given({ app: app({ window: '10m' }) });
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('gating');
    await story.agent.service.endGate('blog', carol, 'rollback');
    const record = await story.untilFinished();
    expect(record).toMatchObject({ phase: 'auto-rolled-back', gate: { ended: { by: carol, how: 'rollback' } } });
    expect(await servedByAll(story.env.fleet)).toEqual(['blog 1.0.0', 'blog 1.0.0', 'blog 1.0.0']);
  });

  it('an agent stopped during the window: the next one resumes the same window, and the old colour waits for its end', async () => {
    const story = await stories.given({ app: app({ window: '8s' }) });
    await story.givenLoad();
    await story.whenDeployed('2.0.0', alice);
    const gating = await story.untilPhase('gating');
    await story.agent.close();

    const next = await createAgent(story.env.config, { log: createLogger({ level: 'silent' }), ec2: story.env.ec2Options });
    try {
      const [report] = await next.service.resumeInFlight();
      expect(report).toMatchObject({ phase: 'gating' });
      const result = await report!.done!;
      expect(result.record).toMatchObject({ phase: 'done', gate: { since: gating.gate!.since, until: gating.gate!.until } });
      const passed = result.record!.transitions.find((t) => t.phase === 'draining')!;
      expect(passed.note).toMatch(/^gate passed/);
      expect(new Date(passed.at).getTime()).toBeGreaterThanOrEqual(new Date(gating.gate!.until).getTime());
      const load = await story.loadReport();
      expect(load.connectionErrors + load.badStatus, load.samples.join('\n')).toBe(0);
    } finally {
      await next.close();
    }
  });
});

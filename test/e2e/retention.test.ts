import { expect, it } from 'vitest';
import { CliProcess } from '../support/cli-process.js';
import { alice, bob, deployStories } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedByAll } from '../support/fleet.js';

describeOnFleet('retention: the old colour is kept for an instant rollback, then retired by a serving agent', () => {
  const stories = deployStories();

  it('serve retires blue once retainMinutes have passed, keeping what a rollback needs (invariant 4)', async () => {
    // 0.05 min: three seconds of retention.
    const story = await stories.given({ app: { retainMinutes: 0.05 } });
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    await story.whenPromoted(bob);
    expect((await story.untilFinished()).phase).toBe('done');
    await expectConsistent(story.env, { retained: true });
    expect(story.replicaSet('blue')?.version).toBe('1.0.0');

    const serve = CliProcess.start(['serve'], story.env.env);
    try {
      const retired = await serve.untilLine((l) => l.type === 'retire-report' && l.how === 'retired');
      expect(retired).toMatchObject({ app: 'blog', colour: 'blue', version: '1.0.0' });
      expect(story.replicaSet('blue')).toBeUndefined();
      expect(await servedByAll(story.env.fleet)).toEqual(['blog 2.0.0', 'blog 2.0.0', 'blog 2.0.0']);
      // The recorded previous stays: a rollback re-creates blue from it.
      expect(story.state().previous).toMatchObject({ colour: 'blue', version: '1.0.0' });
      await expectConsistent(story.env);
    } finally {
      await serve.stop();
    }
  });
});

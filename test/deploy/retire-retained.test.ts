import { describe, expect, it } from 'vitest';
import { alice } from './fixtures.js';
import { world } from './fake-ports.js';

/** blue v1 live, then green v2 deployed with blue kept 30 minutes for an instant rollback. */
async function deployedKeepingBlue() {
  const w = world({ app: { retainMinutes: 30, verify: { required: false } } });
  const result = await (await w.service.deploy('blog', 'v2', { by: alice })).done;
  expect(result.record?.phase).toBe('done');
  expect(w.cluster.colours.blue).not.toBeNull();
  return w;
}

const minutes = (m: number) => m * 60_000;

describe('retiring a retained colour', () => {
  it('keeps it while its window is open', async () => {
    const w = await deployedKeepingBlue();
    await w.clock.sleep(minutes(29));
    const [report] = await w.service.retireExpired();
    expect(report).toMatchObject({ app: 'blog', how: 'kept', colour: 'blue', version: 'v1' });
    expect(w.cluster.colours.blue).not.toBeNull();
  });

  it('deletes it once the window closed, under the app lock, leaving the recorded previous for a rollback', async () => {
    const w = await deployedKeepingBlue();
    await w.clock.sleep(minutes(31));
    const [report] = await w.service.retireExpired();
    expect(report).toMatchObject({ app: 'blog', how: 'retired', colour: 'blue', version: 'v1' });
    expect(w.cluster.colours.blue).toBeNull();
    const acquire = w.journal.lastIndexOf('lock acquire blog');
    expect(acquire).toBeGreaterThan(-1);
    expect(w.journal.indexOf('cluster delete blue', acquire)).toBeGreaterThan(acquire);
    expect(w.lock.holders.size).toBe(0);
    expect((await w.state.read('blog')).previous).toMatchObject({ colour: 'blue', version: 'v1' });
  });

  it('never deletes a colour a node still serves', async () => {
    const w = await deployedKeepingBlue();
    w.fleet.live.set('node-b', 'blue');
    await w.clock.sleep(minutes(31));
    const [report] = await w.service.retireExpired();
    expect(report).toMatchObject({ how: 'skipped', note: expect.stringContaining('not every node marks green live') });
    expect(w.cluster.colours.blue).not.toBeNull();
  });

  it('leaves it to a deploy that holds the app', async () => {
    const w = await deployedKeepingBlue();
    await w.clock.sleep(minutes(31));
    await w.lock.acquire('blog', { agent: 'agent-2', deployId: 'blog-9' });
    const [report] = await w.service.retireExpired();
    expect(report).toMatchObject({ how: 'skipped', note: 'blog is held by agent-2 for blog-9' });
    expect(w.cluster.colours.blue).not.toBeNull();
  });

  it('has nothing to do for apps that keep no colour', async () => {
    const w = world({ app: { verify: { required: false } } });
    await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(await w.service.retireExpired()).toEqual([]);
  });
});

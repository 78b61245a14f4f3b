import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { alice, bob } from './fixtures.js';
import { world } from './fake-ports.js';

async function refusal(p: Promise<unknown>): Promise<SwitchyardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SwitchyardError);
  return err as SwitchyardError;
}

describe('DeployService', () => {
  it('answers a second request with who holds the app and in which phase', async () => {
    const w = world();
    const first = await w.service.deploy('blog', 'v2', { by: alice });
    await new Promise<void>((resolve) => w.when('verifying', resolve));
    const err = await refusal(w.service.deploy('blog', 'v3', { by: bob }));
    expect(err.code).toBe('lock-held');
    expect(err.message).toBe('blog is held by agent-1 for deploy blog-1 (v2, asked by alice (slack)), now verifying');
    expect((await w.state.read('blog')).inFlight?.version).toBe('v2');
    await w.service.abort('blog', alice);
    expect((await first.done).record?.phase).toBe('aborted');
  });

  it.each([
    ['an app name with capitals', 'Blog', 'v2', 'input-invalid', 'invalid app name'],
    ['an app name with a shell metacharacter', 'blog;rm', 'v2', 'input-invalid', 'invalid app name'],
    ['an unknown app', 'www', 'v2', 'app-unknown', 'unknown app "www"'],
    ['a version with spaces', 'blog', 'v 2', 'input-invalid', 'invalid version'],
    ['a version with shell metacharacters', 'blog', 'v2$(reboot)', 'input-invalid', 'invalid version'],
    ['a version of 300 characters', 'blog', 'v'.repeat(300), 'input-invalid', '(300 characters)'],
  ])('refuses %s before touching anything', async (_, app, version, code, says) => {
    const w = world();
    const err = await refusal(w.service.deploy(app, version, { by: alice }));
    expect(err.code).toBe(code);
    expect(err.message).toContain(says);
    expect(err.hint).toBeTruthy();
    expect(w.journal).toEqual([]);
  });

  it('records promote and abort as intent with who asked, and refuses them when there is nothing to act on', async () => {
    const w = world();
    expect((await refusal(w.service.promote('blog', bob))).message).toBe('no deploy of blog in flight to promote');
    const { done } = await w.service.deploy('blog', 'v2', { by: alice });
    const promoted = await new Promise((resolve) => w.when('verifying', () => resolve(w.service.promote('blog', bob))));
    expect(promoted).toMatchObject({ promotedBy: bob, transitions: expect.arrayContaining([expect.objectContaining({ by: bob, note: 'promote requested' })]) });
    await new Promise<void>((resolve) => w.when('draining', resolve));
    const late = await refusal(w.service.abort('blog', bob));
    expect(late.message).toBe('too late to abort blog-1 of blog: it is draining');
    expect(late.hint).toBe('roll back once it is done');
    expect((await done).record?.phase).toBe('done');
  });

  it('rolls back by switching straight to the retained colour', async () => {
    const w = world({ app: { verify: { required: false }, retainMinutes: 30 } });
    await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(w.cluster.colours.blue).toMatchObject({ version: 'v1' });
    w.journal.length = 0;
    const { record, done } = await w.service.rollback('blog', bob);
    expect(record).toMatchObject({ kind: 'rollback', version: 'v1', fromColour: 'green', toColour: 'blue', requestedBy: bob });
    const result = await done;
    expect(result.record?.phase).toBe('rolled-back');
    expect(w.journal.filter((j) => j.startsWith('cluster'))).toEqual([]);
    expect([...w.fleet.live.values()]).toEqual(['blue', 'blue', 'blue']);
    const s = await w.state.read('blog');
    expect(s.live).toEqual({ colour: 'blue', version: 'v1' });
    expect(s.previous).toMatchObject({ colour: 'green', version: 'v2' });
    expect(s.history.map((h) => [h.kind, h.phase])).toEqual([
      ['rollback', 'rolled-back'],
      ['deploy', 'done'],
    ]);
  });

  it('rolls back a retired colour by re-creating it from the recorded template, without a pause', async () => {
    const w = world();
    w.when('verifying', () => void w.service.promote('blog', bob));
    await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    expect(w.cluster.colours.blue).toBeNull();
    const result = await (await w.service.rollback('blog', bob)).done;
    expect(result.record?.phase).toBe('rolled-back');
    expect(w.journal).toContain('cluster create blue v1 recorded');
    expect(w.cluster.colours).toMatchObject({ blue: { version: 'v1', replicas: 3, template: { spec: { containers: [{ image: 'blog:v1' }] } } }, green: null });
    expect(w.phases().slice(-6)).toEqual(['creating', 'waiting', 'switching', 'draining', 'retiring', 'rolled-back']);
  });

  it('has nothing to roll back to before a second version was deployed', async () => {
    const w = world();
    const err = await refusal(w.service.rollback('blog', bob));
    expect(err).toMatchObject({ code: 'input-invalid', message: 'blog has no previous version to roll back to' });
    expect(w.lock.holders.size).toBe(0);
  });

  it('deploys an app with nothing live yet onto the colour the nodes do not mark live', async () => {
    const w = world({ live: null, app: { verify: { required: false }, fallbackReplicas: 2 } });
    const result = await (await w.service.deploy('blog', 'v1', { by: alice })).done;
    expect(result.record).toMatchObject({ phase: 'done', fromColour: null, toColour: 'green' });
    expect(w.journal).toContain('cluster create green v1 template');
    expect((await w.state.read('blog')).live).toEqual({ colour: 'green', version: 'v1' });
  });

  it('reports status and history', async () => {
    const w = world({ app: { verify: { required: false } } });
    await (await w.service.deploy('blog', 'v2', { by: alice })).done;
    const status = await w.service.status('blog');
    expect(status).toMatchObject({
      app: 'blog',
      live: { colour: 'green', version: 'v2' },
      previous: { colour: 'blue', version: 'v1' },
      inFlight: null,
      lastFinished: { id: 'blog-1', phase: 'done' },
      colours: { blue: null, green: { version: 'v2', replicas: 3, readyReplicas: 3 } },
      fleet: { agreed: 'green' },
      problems: [],
    });
    w.cluster.fail.set('observe', new SwitchyardError('kube-api-failed', 'listing ReplicaSets in blog: 503'));
    expect((await w.service.status('blog')).problems).toEqual(['cluster: listing ReplicaSets in blog: 503']);
    expect((await w.service.history('blog')).map((h) => h.id)).toEqual(['blog-1']);
  });

  it('plans a deploy step by step, only reading', async () => {
    const w = world({ app: { verify: { smoke: { path: '/healthz' } } } });
    const plan = await w.service.plan('blog', 'v2');
    expect(w.journal).toEqual(['fleet discover', 'fleet read']);
    expect(plan.nodes).toEqual(['node-a', 'node-b', 'node-c']);
    expect(plan.steps.map((s) => s.phase)).toEqual(['creating', 'waiting', 'verifying', 'verifying', 'switching', 'draining', 'retiring', 'done']);
    expect(plan.steps.flatMap((s) => s.lines)).toEqual([
      'create blog-green at v2 from a mirror of blog-blue',
      'wait until every pod of blog-green is Ready (at most 600s)',
      "GET /healthz through each node's green NodePort 30001, expecting 200",
      'stage the switch to green on every node (the new file beside the live one; traffic stays on blue)',
      'wait for promote or abort, at most until 2026-01-01T14:00:00.000Z',
      'switch every node to green',
      'let requests to the old colour finish (until 2026-01-01T10:00:30.000Z at most)',
      'delete blog-blue and its pods',
    ]);
    expect(plan.blockedBy).toBeUndefined();
  });

  it('plans a failure when the nodes disagree', async () => {
    const w = world();
    w.fleet.live.set('node-b', 'green');
    const plan = await w.service.plan('blog', 'v2');
    expect(plan.steps).toEqual([expect.objectContaining({ phase: 'failed', note: expect.stringContaining('node-b green') })]);
  });
});

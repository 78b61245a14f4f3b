import { describe, expect, it } from 'vitest';
import { DeployFeed, type DeploySnapshot } from '../../src/deploy/deploy-feed.js';
import { emptyAppState, type AppState, type DeployRecord } from '../../src/state/app-state.js';
import { appConfig, record, T0 } from './fixtures.js';

const nodes = [
  { name: 'node-a', address: '10.0.1.11', port: 22 },
  { name: 'node-b', address: '10.0.1.12', port: 22 },
];

function feed(options: { onError?: (err: unknown) => void; now?: Date } = {}) {
  return new DeployFeed({ apps: [appConfig()], nodes: async () => nodes, now: () => options.now ?? T0, ...(options.onError ? { onError: options.onError } : {}) });
}

const state = (revision: number, inFlight: DeployRecord | null, history: DeployRecord[] = []): AppState => ({
  ...emptyAppState('blog'),
  live: { colour: 'blue', version: 'v1' },
  inFlight,
  history,
  revision,
});

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('DeployFeed', () => {
  it('gives a new subscriber the deploys in flight, then every change, whole', async () => {
    const f = feed();
    f.observeState(state(1, record('creating')));
    const seen: DeploySnapshot[] = [];
    f.watch({ app: 'blog' }, (s) => void seen.push(s));
    await settle();
    f.observeColour('blog', 'green', 1, 3);
    f.observeColour('blog', 'blue', 3, 3);
    await settle();
    expect(seen.map((s) => [s.record.phase, s.progress.pods])).toEqual([
      ['creating', undefined],
      ['creating', { colour: 'green', ready: 1, desired: 3 }],
    ]);
    expect(seen[1]).toMatchObject({ app: 'blog', live: { colour: 'blue', version: 'v1' }, record: { id: 'blog-1' } });
  });

  it('ignores a copy of the state older than one already seen, and a copy that changes nothing', async () => {
    const f = feed();
    const seen: string[] = [];
    f.watch({}, (s) => void seen.push(s.record.phase));
    f.observeState(state(5, record('waiting')));
    f.observeState(state(4, record('creating')));
    f.observeState(state(5, record('waiting')));
    await settle();
    expect(seen).toEqual(['waiting']);
  });

  it('coalesces for a slow subscriber: it gets the newest snapshot next, never a backlog', async () => {
    const f = feed();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    f.watch({ deployId: 'blog-1' }, async (s) => {
      seen.push(s.record.phase);
      if (seen.length === 1) await gate;
    });
    f.observeState(state(1, record('creating')));
    await settle();
    f.observeState(state(2, record('waiting')));
    f.observeState(state(3, record('verifying')));
    f.observeState(state(4, record('switching')));
    release();
    await settle();
    expect(seen).toEqual(['creating', 'switching']);
  });

  it('routes a listener error and keeps delivering to it and to the others', async () => {
    const errors: unknown[] = [];
    const f = feed({ onError: (err) => errors.push(err) });
    const good: string[] = [];
    const bad: string[] = [];
    f.watch({}, (s) => {
      bad.push(s.record.phase);
      throw new Error('slack is down');
    });
    f.watch({}, (s) => void good.push(s.record.phase));
    f.observeState(state(1, record('creating')));
    await settle();
    f.observeState(state(2, record('waiting')));
    await settle();
    expect(good).toEqual(['creating', 'waiting']);
    expect(bad).toEqual(['creating', 'waiting']);
    expect(errors).toHaveLength(2);
  });

  it('adds preview URLs while verifying and drops them after', async () => {
    const f = feed();
    const seen: DeploySnapshot[] = [];
    f.watch({}, (s) => void seen.push(s));
    f.observeState(state(1, record('verifying')));
    await settle();
    await settle();
    expect(seen.at(-1)?.previewUrls).toEqual(['http://10.0.1.11:30001/', 'http://10.0.1.12:30001/']);
    f.observeState(state(2, record('switching')));
    await settle();
    expect(seen.at(-1)?.previewUrls).toEqual([]);
  });

  it('says how to preview through production while verifying, for an app with a preview, and drops it after', async () => {
    const f = new DeployFeed({ apps: [appConfig({ preview: { url: 'https://blog.example.com' } })], nodes: async () => nodes, now: () => T0 });
    const seen: DeploySnapshot[] = [];
    f.watch({}, (s) => void seen.push(s));
    f.observeState(state(1, record('verifying')));
    await settle();
    await settle();
    expect(seen.at(-1)?.productionPreview).toEqual({
      header: 'X-Switchyard-Preview: green',
      link: 'https://blog.example.com/.switchyard/preview/green',
      off: 'https://blog.example.com/.switchyard/preview/off',
      cookieMaxAgeSeconds: 3600,
    });
    f.observeState(state(2, record('verifying', { promotedBy: { via: 'cli', id: 'bob' } })));
    await settle();
    expect(seen.at(-1)?.productionPreview?.header).toBe('X-Switchyard-Preview: green');
    f.observeState(state(3, record('switching')));
    await settle();
    expect(seen.at(-1)?.productionPreview).toBeUndefined();
  });

  it('tells a deploy that finished as final, with what the switch did; not old history', async () => {
    const f = feed({ now: new Date(T0.getTime() + 10_000) });
    const old = { ...record('done', { id: 'blog-0' }), finishedAt: new Date(T0.getTime() - 3600_000).toISOString() };
    f.observeState(state(1, null, [old]));
    const seen: DeploySnapshot[] = [];
    f.watch({}, (s) => void seen.push(s));
    f.observeState(state(2, record('draining', { switched: { nodes: 3, mixedWindowMs: 12 } }), [old]));
    f.observeState(state(3, null, [{ ...record('done', { switched: { nodes: 3, mixedWindowMs: 12 } }), finishedAt: T0.toISOString() }, old]));
    await settle();
    expect(new Set(seen.map((s) => s.record.id))).toEqual(new Set(['blog-1']));
    expect(seen.at(-1)).toMatchObject({ record: { phase: 'done' }, progress: { nodes: { switched: 3, total: 3, mixedWindowMs: 12 } } });
  });

  it('stops delivering after unsubscribe', async () => {
    const f = feed();
    const seen: string[] = [];
    const stop = f.watch({}, (s) => void seen.push(s.record.phase));
    f.observeState(state(1, record('creating')));
    await settle();
    stop();
    f.observeState(state(2, record('waiting')));
    await settle();
    expect(seen).toEqual(['creating']);
  });
});

describe('DeployFeed fleet reports', () => {
  const report = (checkedAt: string, green: 'blue' | 'green' | null, drift: string | null) => ({
    app: 'blog',
    checkedAt,
    recorded: 'blue' as const,
    nodes: [
      { node: 'node-a', colour: 'blue' as const },
      { node: 'node-b', colour: green },
    ],
    drift,
  });

  it('keeps the latest report and tells listeners only when the findings change', () => {
    const f = feed();
    const told: (string | null)[] = [];
    f.watchFleet((r) => void told.push(r.drift));
    f.observeFleet(report('2026-01-01T00:00:00Z', 'blue', null));
    f.observeFleet(report('2026-01-01T00:01:00Z', 'blue', null));
    f.observeFleet(report('2026-01-01T00:02:00Z', 'green', 'node-b serves green'));
    f.observeFleet(report('2026-01-01T00:03:00Z', 'green', 'node-b serves green'));
    f.observeFleet(report('2026-01-01T00:04:00Z', 'blue', null));
    expect(told).toEqual([null, 'node-b serves green', null]);
    expect(f.fleet('blog')).toEqual([report('2026-01-01T00:04:00Z', 'blue', null)]);
    expect(f.fleet('www')).toEqual([]);
  });

  it('reports a listener that throws and still tells the others', () => {
    const errors: unknown[] = [];
    const f = new DeployFeed({ apps: [appConfig()], nodes: async () => nodes, now: () => T0, onFleetError: (err) => errors.push(err) });
    const told: string[] = [];
    f.watchFleet(() => {
      throw new Error('listener broke');
    });
    f.watchFleet((r) => void told.push(r.checkedAt));
    f.observeFleet(report('2026-01-01T00:00:00Z', 'blue', null));
    expect(told).toEqual(['2026-01-01T00:00:00Z']);
    expect(errors).toHaveLength(1);
  });
});

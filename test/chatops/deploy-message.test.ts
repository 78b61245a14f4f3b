import { describe, expect, it } from 'vitest';
import { deployMessage } from '../../src/chatops/deploy-message.js';
import type { DeploySnapshot } from '../../src/deploy/deploy-feed.js';
import type { DeployRecord } from '../../src/state/app-state.js';
import { alice, bob, iso, record, T0 } from '../deploy/fixtures.js';

function snapshot(r: DeployRecord, over: Partial<DeploySnapshot> = {}): DeploySnapshot {
  return { revision: 1, app: 'blog', record: r, live: { colour: 'blue', version: 'v1' }, previous: null, progress: {}, previewUrls: [], nodes: [], ...over };
}

const buttons = (s: DeploySnapshot) =>
  deployMessage(s, T0).blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => (e.type === 'button' ? e.action_id : '?')) : []));
const allText = (s: DeploySnapshot) => JSON.stringify(deployMessage(s, T0).blocks);
const done = (over: Partial<DeployRecord> = {}) => ({ ...record('done', { switched: { nodes: 12, mixedWindowMs: 11 } }), finishedAt: iso(30), ...over });

describe('deployMessage', () => {
  it.each([
    ['a held CI deploy offers Start and Reject', snapshot(record('pending', { hold: true })), ['start', 'reject']],
    ['once started, no Start any more', snapshot(record('pending', { hold: true, startedBy: bob })), []],
    ['while creating, only Abort', snapshot(record('creating')), ['abort']],
    ['while waiting for pods, only Abort', snapshot(record('waiting')), ['abort']],
    ['verifying offers Promote and Abort', snapshot(record('verifying')), ['promote', 'abort']],
    ['promoted: only Abort until it switches', snapshot(record('verifying', { promotedBy: bob })), ['abort']],
    ['switching: nothing to click', snapshot(record('switching')), []],
    ['unwinding after an error: nothing to click', snapshot(record('waiting', { error: { code: 'pods-not-ready', message: 'x', phase: 'waiting' } })), []],
    ['done with a previous colour: Roll back', snapshot(done(), { live: { colour: 'green', version: 'v2' }, previous: { colour: 'blue', version: 'v1' } }), ['rollback']],
    ['done but a newer version is live: no Roll back', snapshot(done(), { live: { colour: 'blue', version: 'v3' }, previous: { colour: 'green', version: 'v2' } }), []],
    ['aborted: nothing', snapshot({ ...record('aborted', { abortedBy: bob }), finishedAt: iso(5) }), []],
  ])('%s', (_, s, want) => {
    expect(buttons(s)).toEqual(want);
  });

  it('shows a freeze override, who gave it and why, escaped as Slack needs', () => {
    const freezeOverride = { windows: ['year-end'], until: '2026-01-04T08:00:00.000Z', reason: 'hotfix for INC-2041 <urgent> & approved', by: alice };
    expect(allText(snapshot(record('verifying', { freezeOverride })))).toContain(
      ':snowflake: freeze \\"year-end\\" overridden by alice (slack): hotfix for INC-2041 &lt;urgent&gt; &amp; approved',
    );
    expect(allText(snapshot(record('verifying')))).not.toContain(':snowflake:');
  });

  it('says how to preview through production: the header, and the links that set and clear the cookie', () => {
    const productionPreview = { header: 'X-Switchyard-Preview: green', link: 'https://blog.example.com/.switchyard/preview/green', off: 'https://blog.example.com/.switchyard/preview/off', cookieMaxAgeSeconds: 3600 };
    const text = allText(snapshot(record('verifying'), { previewUrls: ['http://10.0.1.11:30001/'], productionPreview }));
    expect(text).toContain('Through production: send `X-Switchyard-Preview: green`, or open <https://blog.example.com/.switchyard/preview/green|https://blog.example.com/.switchyard/preview/green> (a cookie for 1h 00m; <https://blog.example.com/.switchyard/preview/off|turn it off>)');
    const { link: _link, off: _off, ...headerOnly } = productionPreview;
    expect(allText(snapshot(record('verifying'), { previewUrls: ['http://10.0.1.11:30001/'], productionPreview: headerOnly }))).toContain('Through production: send `X-Switchyard-Preview: green`"}');
    expect(allText(snapshot(record('verifying'), { previewUrls: ['http://10.0.1.11:30001/'] }))).not.toContain('Through production');
  });

  it('names what a Promote will do in its confirmation, and what a Roll back will', () => {
    const promote = deployMessage(snapshot(record('verifying'), { nodes: ['a', 'b', 'c'] }), T0).blocks.find((b) => b.type === 'actions');
    expect(JSON.stringify(promote)).toContain('Switch 3 nodes of blog from blue v1 to green v2.');
    const back = allText(snapshot(done(), { live: { colour: 'green', version: 'v2' }, previous: { colour: 'blue', version: 'v1' } }));
    expect(back).toContain('Switch 12 nodes of blog from green v2 back to blue v1');
  });

  it('shows who asked, the versions, the progress, the mixed window, the timings, and preview URLs while verifying', () => {
    const r = record('verifying', { commit: 'abc1234', verifyUntil: iso(4 * 3600) });
    const text = allText(snapshot(r, { progress: { pods: { colour: 'green', ready: 3, desired: 3 } }, previewUrls: ['http://10.0.1.11:30001/'] }));
    expect(text).toContain('blue v1 → *green v2*');
    expect(text).toContain('asked by alice (slack) · commit `abc1234`');
    expect(text).toContain('3/3');
    expect(text).toContain('<http://10.0.1.11:30001/|http://10.0.1.11:30001/>');
    expect(text).toContain('pending 1m 00s');
    const finished = allText(snapshot(done({ promotedBy: bob }), { progress: { nodes: { colour: 'green', switched: 12, total: 12, mixedWindowMs: 11 } } }));
    expect(finished).toContain('12/12');
    expect(finished).toContain('11 ms');
    expect(finished).toContain('promoted by bob (cli)');
    expect(finished).toContain('done: green v2 is live');
  });

  it('shows the error and its hint', () => {
    const r = { ...record('failed', { error: { code: 'pods-not-ready', message: 'blog-green has 1/3 Ready after 600s', phase: 'waiting' as const, hint: 'kubectl -n blog describe pod' } }), finishedAt: iso(600) };
    const text = allText(snapshot(r));
    expect(text).toContain('*pods-not-ready* in waiting: blog-green has 1/3 Ready after 600s');
    expect(text).toContain('_kubectl -n blog describe pod_');
  });

  it('shows names and errors as written, not as Slack markup', () => {
    const r = { ...record('failed', { requestedBy: { via: 'ci', id: 'ci', name: 'ci <!channel> & co' }, error: { code: 'deploy-failed', message: 'x <http://evil|click> y', phase: 'waiting' as const } }), finishedAt: iso(5) };
    const text = allText(snapshot(r));
    expect(text).toContain('ci &lt;!channel&gt; &amp; co');
    expect(text).toContain('x &lt;http://evil|click&gt; y');
    expect(text).not.toContain('<!channel>');
  });

  it('keeps within Block Kit limits with a very long error and many preview URLs', () => {
    const r = record('verifying', { error: undefined });
    const urls = Array.from({ length: 200 }, (_, i) => `http://node-${i}.example.com:30001/`);
    const m = deployMessage(snapshot({ ...r, requestedBy: { ...alice, name: 'x'.repeat(5000) } }, { previewUrls: urls }), T0);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    for (const b of m.blocks) {
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      if (b.type === 'context') for (const e of b.elements) expect('text' in e ? e.text.length : 0).toBeLessThanOrEqual(3000);
    }
    expect(JSON.stringify(m.blocks)).toContain('and 190 more');
  });
});

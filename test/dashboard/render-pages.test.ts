import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { renderAppPage } from '../../src/dashboard/app-page.js';
import type { AppView } from '../../src/dashboard/dashboard-data.js';
import { renderDeployPage } from '../../src/dashboard/deploy-page.js';
import { html } from '../../src/dashboard/html.js';
import { renderOverview } from '../../src/dashboard/overview-page.js';
import { renderDocument } from '../../src/dashboard/page-layout.js';
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/send-html.js';
import { safeNext } from '../../src/dashboard/sign-in.js';
import { viewerCheck, VIEWER_COOKIE } from '../../src/dashboard/viewer-check.js';
import type { DeploySnapshot } from '../../src/deploy/deploy-feed.js';
import type { FleetReport } from '../../src/deploy/fleet-report.js';
import type { AppState, DeployRecord } from '../../src/state/app-state.js';
import { alice, appConfig, at, bob, colours, iso, record, rs } from '../deploy/fixtures.js';

const now = at(30);
const app = appConfig();
const done = (over: Partial<DeployRecord> = {}): DeployRecord =>
  record('done', {
    id: 'blog-0a1b2c3d',
    version: '1.0.0',
    fromColour: null,
    fromVersion: null,
    toColour: 'blue',
    requestedAt: iso(-3700),
    finishedAt: iso(-3600),
    promotedBy: bob,
    transitions: [
      { phase: 'pending', at: iso(-3700), by: alice },
      { phase: 'switching', at: iso(-3650), by: bob },
      { phase: 'done', at: iso(-3600) },
    ],
    ...over,
  });
const state = (over: Partial<AppState> = {}): AppState => ({
  app: 'blog',
  live: { colour: 'blue', version: '1.0.0' },
  previous: null,
  inFlight: null,
  history: [done()],
  ...over,
});
const report = (over: Partial<FleetReport> = {}): FleetReport => ({
  app: 'blog',
  checkedAt: iso(18),
  recorded: 'blue',
  nodes: [
    { node: 'node-1', colour: 'blue' },
    { node: 'node-2', colour: 'blue' },
  ],
  drift: null,
  ...over,
});
const view = (over: Partial<AppView> = {}): AppView => ({ app, state: state(), problem: null, inFlight: null, retainedUntil: null, fleet: null, fleetNote: null, ...over });
const snapshot = (r: DeployRecord, over: Partial<DeploySnapshot> = {}): DeploySnapshot => ({
  revision: 1,
  app: 'blog',
  record: r,
  live: { colour: 'blue', version: 'v1' },
  previous: null,
  progress: {},
  previewUrls: [],
  nodes: [],
  ...over,
});
/** The page's text as a reader gets it: tags dropped, spaces collapsed, entities as they read. */
const text = (markup: string): string =>
  markup.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

describe('the dashboard pages, rendered from data', () => {
  it('escapes every value that comes from the cluster or a person, so none becomes markup', () => {
    const evil = '<img src=x onerror=alert(1)>"\'`';
    const hostile = record('verifying', {
      version: evil,
      commit: evil,
      requestedBy: { via: 'ci', id: evil },
      error: { code: 'x', message: evil, phase: 'waiting', hint: evil },
    });
    const pages = [
      renderOverview([view({ state: state({ live: { colour: 'blue', version: evil }, inFlight: hostile }), inFlight: snapshot(hostile), fleet: report({ drift: evil }) })], now),
      renderAppPage({ view: view({ state: state({ history: [done({ version: evil })] }), fleet: report({ nodes: [{ node: evil, colour: null, error: evil }] }) }), colours: { problem: evil } }, now),
      renderDeployPage(snapshot(hostile, { previewUrls: [`javascript:alert(1)//${evil}`], nodes: [evil] }), now),
    ];
    for (const page of pages) {
      expect(page.main.text).not.toMatch(/<img|onerror=alert\(1\)>|"'`/);
      expect(page.main.text).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;');
    }
    // A preview URL is a link only with http(s).
    expect(pages[2]!.main.text).not.toContain('href="javascript:');
    expect(renderDocument({ title: evil, main: html`` }, { assets: { js: '/a.js', icon: '/i.svg' }, now }).text).toContain('<title>&lt;img');
  });

  it('overview: live and previous colour in words, whether the previous is kept, the deploy in flight with its phase, drift first; "not checked yet" without a report', () => {
    const inFlight = record('waiting', { id: 'blog-1', version: '2.0.0', toColour: 'green' });
    const blog = view({
      state: state({ previous: { colour: 'green', version: '0.9.0', template: {}, replicas: 2 }, inFlight }),
      inFlight: snapshot(inFlight, { progress: { pods: { colour: 'green', ready: 1, desired: 2 } } }),
      retainedUntil: at(600),
    });
    const www = view({ app: appConfig({ name: 'www' }), state: state({ app: 'www', previous: { colour: 'green', version: '0.8.0', template: {}, replicas: 1 }, history: [] }), fleet: report({ app: 'www', drift: 'node-2 serves green, the record says blue' }) });
    const page = renderOverview([blog, www], now);
    const shown = text(page.main.text);
    expect(shown).toContain('Drift www : node-2 serves green, the record says blue');
    expect(shown).toMatch(/blog blue 1\.0\.0 green 0\.9\.0, kept until 10:10:00 UTC deploy of 2\.0\.0 waiting 1\/2 1\/2 green pods ready not checked yet/);
    expect(shown).toMatch(/www blue 1\.0\.0 green 0\.8\.0, retired none ⚠ drift: node-2 serves green, the record says blue \(checked 12\.0 s ago\)/);
    expect(page.main.text).toContain('<a href="/deploys/blog-1">');
    expect(page.main.text).toContain('<progress value="1" max="2"');
    expect(page.title).toBe('Drift in 1 app · switchyard');
    expect(shown).toContain('blog-0a1b2c3d : blog deploy of 1.0.0 done , asked by alice (slack), ended 09:00:00 UTC (1h 00m ago)');
  });

  it('app page: a grid of nodes × colour from the last check with its age, a drifted node named, both ReplicaSets with pods ready, history with who did what', () => {
    const fleet = report({ nodes: [{ node: 'node-1', colour: 'blue' }, { node: 'node-2', colour: 'green' }, { node: 'node-3', colour: null, error: 'connection refused' }], drift: 'node-2 serves green' });
    const page = renderAppPage({ view: view({ fleet }), colours: colours(rs('1.0.0', 2), rs('2.0.0', 2, 1)) }, now);
    const shown = text(page.main.text);
    expect(shown).toContain('checked 10:00:18 UTC (12.0 s ago); the record says blue');
    expect(shown).toContain('node-1 serves blue idle');
    expect(shown).toContain('node-2 idle serves green serves green, the record says blue');
    expect(shown).toContain('node-3 ? ? connection refused');
    expect(page.main.text).toContain('<tr class="drifted"><th scope="row">node-2</th>');
    expect(shown).toContain('blue blog-blue 1.0.0 2/2 2/2 ready live');
    expect(shown).toContain('green blog-green 2.0.0 1/2 1/2 ready');
    expect(shown).toContain('blog-0a1b2c3d deploy of 1.0.0: nothing → blue done asked by alice (slack), promoted by bob (cli) 09:00:00 UTC 1m 40s');
    expect(shown).toContain('asked by alice (slack), promoted by bob (cli)');
    expect(page.title).toBe('blog · drift · switchyard');
    expect(text(renderAppPage({ view: view(), colours: { problem: 'kube down' } }, now).main.text)).toContain('Nodes not checked yet');
  });

  it('a dashboard that has no check of its own (a follower, or the check off) says why instead of "not checked yet"; a check it has is shown', () => {
    const note = 'checked by the leading agent, agent-a: see its dashboard';
    expect(text(renderOverview([view({ fleetNote: note })], now).main.text)).toContain(`none ${note}`);
    expect(text(renderAppPage({ view: view({ fleetNote: note }), colours: { problem: 'kube down' } }, now).main.text)).toContain(`Nodes ${note}`);
    expect(text(renderOverview([view({ fleetNote: note, fleet: report() })], now).main.text)).toMatch(/all 2 serve blue \(checked 12\.0 s ago\)/);
  });

  it('deploy page: the timeline with each phase’s duration as a bar (the current one so far), pods ready, nodes switched, the mixed window, previews, the error and its hint', () => {
    const r = record('switching', {
      transitions: [
        { phase: 'pending', at: iso(-60), by: alice },
        { phase: 'waiting', at: iso(-50) },
        { phase: 'verifying', at: iso(-40) },
        { phase: 'switching', at: iso(0), by: bob, note: 'promoted' },
      ],
      error: { code: 'switch-failed', message: 'node-2: nginx -t failed', phase: 'switching', hint: 'fix the vhost on node-2' },
    });
    const page = renderDeployPage(snapshot(r, { progress: { pods: { colour: 'green', ready: 2, desired: 2 }, nodes: { colour: 'green', switched: 1, total: 3, mixedWindowMs: 28 } }, previewUrls: ['http://10.0.0.1:30001/'] }), now);
    const shown = text(page.main.text);
    expect(shown).toContain('pending 09:59:00 UTC 10.0 s alice (slack)');
    expect(shown).toContain('verifying 09:59:20 UTC 40.0 s');
    expect(shown).toContain('switching 10:00:00 UTC 30.0 s so far bob (cli) promoted');
    expect(page.main.text).toContain('<progress class="bar" value="40000" max="40000" aria-label="verifying took 40.0 s">');
    expect(page.main.text).toContain('<tr aria-current="step">');
    expect(shown).toContain('Pods ready: 2/2 2/2 green pods ready');
    expect(shown).toContain('Nodes switched: 1/3 1/3 nodes switched to green');
    expect(shown).toContain('Mixed window (first node\'s reload to the last one\'s): 28 ms');
    expect(page.main.text).toContain('<a href="http://10.0.0.1:30001/" rel="noreferrer">');
    expect(shown).toContain('Error in switching switch-failed : node-2: nginx -t failed What to do: fix the vhost on node-2');
  });

  it('deploy page: how to preview through production, the header and the cookie links', () => {
    const productionPreview = { header: 'X-Switchyard-Preview: green', link: 'https://blog.example.com/.switchyard/preview/green', off: 'https://blog.example.com/.switchyard/preview/off', cookieMaxAgeSeconds: 3600 };
    const page = renderDeployPage(snapshot(record('verifying'), { previewUrls: ['http://10.0.0.1:30001/'], productionPreview }), now);
    expect(text(page.main.text)).toContain('Through production: send X-Switchyard-Preview: green , or open https://blog.example.com/.switchyard/preview/green (a cookie for 1h 00m; turn it off )');
    expect(page.main.text).toContain('<a href="https://blog.example.com/.switchyard/preview/off" rel="noreferrer">turn it off</a>');
    expect(renderDeployPage(snapshot(record('verifying'), { previewUrls: ['http://10.0.0.1:30001/'] }), now).main.text).not.toContain('Through production');
  });

  it('a finished deploy: no phase runs on, the outcome in words', () => {
    const page = renderDeployPage(snapshot(done()), now);
    expect(page.main.text).toContain('<p class="lead"><span class="phase phase-ok" data-phase="done">done: blue 1.0.0 is live</span></p>');
    expect(page.main.text).not.toContain('so far');
    expect(page.main.text).not.toContain('aria-current');
  });
});

describe('the layout', () => {
  it('names the live stream and the digest of <main> only for live pages, and loads the script only then', () => {
    const live = renderDocument({ title: 't', main: html`<h1>x</h1>` }, { live: '/live/apps/blog', assets: { js: '/d.js?v=1', icon: '/i.svg' }, now }).text;
    expect(live).toMatch(/<main id="page" tabindex="-1" data-live="\/live\/apps\/blog" data-digest="[\w-]{16}">/);
    expect(live).toContain('<script src="/d.js?v=1" defer></script>');
    expect(live).toContain('reload for news (live updates need JavaScript)');
    const still = renderDocument({ title: 't', main: html`` }, { assets: { js: '/d.js', icon: '/i.svg' }, now }).text;
    expect(still).not.toContain('<script');
    expect(still).not.toContain('data-live');
  });

  it('carries its style sheet inline, allowed by the CSP through its hash and nothing wider', () => {
    const doc = renderDocument({ title: 't', main: html`` }, { assets: { js: '/d.js', icon: '/i.svg' }, now }).text;
    const style = /<style>([\s\S]*)<\/style>/.exec(doc)![1]!;
    expect(style).toContain('prefers-color-scheme: dark');
    expect(CONTENT_SECURITY_POLICY).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}';`);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });
});

describe('who may look', () => {
  const token = 'v'.repeat(32);
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const check = viewerCheck({ tokens: [{ name: 'on-call', token }], open: false });

  it.each([
    ['a bearer token', { authorization: `Bearer ${token}` }, 'on-call'],
    ['the sign-in cookie', { cookie: `other=1; ${VIEWER_COOKIE}=${token}` }, 'on-call'],
  ])('lets in %s', (_, headers, name) => expect(check.viewer(req(headers))).toBe(name));

  it.each([
    ['nothing', {}, 'the dashboard needs a viewer token'],
    ['a wrong cookie', { cookie: `${VIEWER_COOKIE}=${token}x` }, 'the viewer token is not valid'],
    ['a token in the URL only', { cookie: 'token=x' }, 'the dashboard needs a viewer token'],
  ])('refuses %s', (_, headers, message) => expect(() => check.viewer(req(headers))).toThrow(message));

  it('lets anyone in on a loopback listener', () => expect(viewerCheck({ tokens: [], open: true }).viewer(req({}))).toBe('local'));

  it.each([
    ['/apps/blog', '/apps/blog'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    [null, '/'],
  ])('sends a signed-in viewer back to %s only when it is a path here (%s)', (next, to) => expect(safeNext(next)).toBe(to));
});

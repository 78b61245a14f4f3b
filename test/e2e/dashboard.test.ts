import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFrontEnd, type ApiFrontEnd } from '../../src/api/api-front-end.js';
import { Metrics } from '../../src/api/metrics.js';
import { AgentServer } from '../../src/agent/agent-server.js';
import { createAgent, type Agent } from '../../src/agent/create-agent.js';
import { loadFrontEnds } from '../../src/agent/load-front-ends.js';
import { loadSecrets } from '../../src/config/load-secrets.js';
import { fleetProblems } from '../../src/deploy/fleet-problems.js';
import { systemClock } from '../../src/deploy/system-clock.js';
import { renderUpstream } from '../../src/fleet/upstream-file.js';
import { silentLogger } from '../../src/log/logger.js';
import { startSandboxEnv, type SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import type { Actor, Phase } from '../../src/state/app-state.js';
import type { Colour } from '../../src/validate/patterns.js';
import { describeOnFleet } from '../support/fleet.js';

// What the page.evaluate callbacks use: they run in the browser (the project's tsconfig has no DOM types).
interface BrowserElement {
  textContent: string | null;
  innerText: string;
  getAttribute(name: string): string | null;
}
declare const document: { getElementById(id: string): BrowserElement | null; querySelector(selector: string): BrowserElement | null; activeElement: BrowserElement | null; cookie: string };
declare const window: { phasesShown: string[]; sameDocument?: boolean };
declare function getComputedStyle(element: never): { backgroundColor: string };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: BrowserElement, options: { childList: boolean; subtree: boolean }): void;
}

/** Where the run leaves what a person may want to look at (gitignored; README: Dashboard). */
const OUTPUT = join(process.cwd(), 'test-output', 'dashboard');
const PHASES: Phase[] = ['pending', 'discovering', 'creating', 'waiting', 'verifying', 'switching', 'draining', 'retiring', 'done'];
const alice: Actor = { via: 'cli', id: 'alice' };
const bob: Actor = { via: 'cli', id: 'bob' };

/**
 * What a fleet check reports, made from the agent's own check of every node
 * (SSH, host keys checked, each node's nginx asked): the periodic drift check
 * feeds the same reports into the feed; here the test does it when it wants one.
 */
async function checkFleet(agent: Agent, app = 'blog'): Promise<void> {
  const [checks, state] = await Promise.all([agent.checkNodes(), agent.service.readState(app)]);
  const nodes = checks.map((n) => ({ node: n.name, colour: n.live[app] ?? null, ...(n.error ? { error: n.error } : {}) }));
  const first = nodes[0]?.colour ?? null;
  const agreed: Colour | null = nodes.every((n) => n.colour === first) ? first : null;
  const recorded = state.live?.colour ?? null;
  const problems = fleetProblems({ agreed, nodes }, recorded);
  agent.service.feed.observeFleet({ app, checkedAt: new Date().toISOString(), nodes, recorded, drift: problems.length > 0 ? problems.join('; ') : null });
}

describeOnFleet('the dashboard in a real browser, against the sandbox with three real nodes', () => {
  let env: SandboxEnv;
  let agent: Agent;
  let server: AgentServer;
  let url: string;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(OUTPUT, { recursive: true });
    env = await startSandboxEnv({ nodes: 3 });
    agent = await createAgent(env.config, { log: silentLogger, ec2: env.ec2Options });
    server = new AgentServer(agent, { log: silentLogger, clock: systemClock, everyMs: 5_000 });
    const { api } = await loadFrontEnds(server, agent, { config: env.config, secrets: loadSecrets(env.config, {}), log: silentLogger, clock: systemClock });
    await server.start();
    url = api!.url;
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await agent?.close();
    await env?.close();
  });

  /** A tab that records what the page logs as an error (a CSP violation, a script error). */
  async function open(path: string, options: { javaScript?: boolean } = {}): Promise<Page> {
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(options.javaScript ?? true);
    page.on('console', (m) => m.type() === 'error' && problems.push(`${path}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`${path}: ${String(e)}`));
    await page.goto(`${url}${path}`, { waitUntil: 'load' });
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(OUTPUT, `${name}.png`) as `${string}.png`, fullPage: true });
  const mainText = (page: Page) => page.$eval('main', (m) => (m as unknown as BrowserElement).innerText);
  const untilLive = (page: Page) => page.waitForFunction(() => document.getElementById('live-status')?.textContent?.startsWith('Live'));

  it('the overview shows every app with its live colour in words, and "not checked yet" before the first fleet check', async () => {
    const page = await open('/');
    // Reported, not asserted: tests never judge wall-clock times (README: Dashboard has the figures).
    const paint = await page.evaluate(`new Promise((resolve) => {
      new PerformanceObserver((list) => resolve(list.getEntries().find((e) => e.name === 'first-contentful-paint')?.startTime ?? null)).observe({ type: 'paint', buffered: true });
      setTimeout(() => resolve(null), 5000);
    })`);
    await writeFile(join(OUTPUT, 'first-paint.json'), JSON.stringify({ page: '/', firstContentfulPaintMs: paint }) + '\n');
    const text = await mainText(page);
    expect(text).toMatch(/blog\tnone recorded yet\tnone\tnone\tnot checked yet/);
    const response = await page.reload();
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    // Keyboard: the first Tab lands on the skip link, which leads to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the content');
    await untilLive(page);
    await shot(page, 'overview');
    await page.close();
  });

  it("a deploy's page follows it live through every phase to done, without a reload", async () => {
    const started = await agent.service.deploy('blog', '2.0.0', { by: alice, hold: true });
    const id = started.record.id;
    const page = await open(`/deploys/${id}`);
    // Marks this document and records each phase <main> shows; a reload would lose both.
    await page.evaluate(() => {
      const w = window;
      w.sameDocument = true;
      w.phasesShown = [];
      const note = () => {
        const phase = document.querySelector('main .lead .phase')?.getAttribute('data-phase') ?? '';
        if (w.phasesShown.at(-1) !== phase) w.phasesShown.push(phase);
      };
      note();
      new MutationObserver(note).observe(document.getElementById('page')!, { childList: true, subtree: true });
    });
    await untilLive(page);
    const shown = () => page.evaluate(() => window.phasesShown);
    const untilShown = (phase: Phase) => page.waitForFunction((p) => window.phasesShown.includes(p), { timeout: 30_000 }, phase);
    expect(await mainText(page)).toContain('waiting for someone to Start it');
    await shot(page, 'deploy-pending');

    await agent.service.startHeld('blog', alice);
    await untilShown('verifying');
    await page.waitForSelector('main .previews a');
    expect(await mainText(page)).toMatch(/2\/2 green pods ready/);
    await shot(page, 'deploy-verifying');

    await agent.service.promote('blog', bob);
    await untilShown('done');
    await started.done;
    await page.waitForFunction(() => document.getElementById('live-status')?.textContent?.startsWith('Finished'));
    expect(await page.evaluate(() => window.sameDocument)).toBe(true);
    // The page moved forward only, phase by phase (quick phases may pass between two renders).
    const seen = await shown();
    expect(seen[0]).toBe('pending');
    expect(seen.map((p) => PHASES.indexOf(p as Phase))).toEqual([...seen.map((p) => PHASES.indexOf(p as Phase))].sort((a, b) => a - b));
    expect(seen).toEqual(expect.arrayContaining(['pending', 'verifying', 'done']));
    // ... and its timeline lists every phase, each with its time as a bar.
    const rows = await page.$$eval('.timeline tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('progress') !== null]));
    expect(rows).toEqual(PHASES.map((p) => [p, p !== 'done']));
    const text = await mainText(page);
    expect(text).toMatch(/Nodes switched:\s+3\/3 nodes switched to green/);
    expect(text).toMatch(/Mixed window \(first node's reload to the last one's\): \d+(\.\d)? m?s/);
    expect(text).toContain('asked by alice (cli), started by alice (cli), promoted by bob (cli)');
    await shot(page, 'deploy-done');
    await page.close();
  });

  it('a node switched by hand shows as drift, live on the overview and on the app page', async () => {
    await checkFleet(agent);
    const overview = await open('/');
    await untilLive(overview);
    expect(await mainText(overview)).toMatch(/all 3 serve green \(checked/);
    const appPage = await open('/apps/blog');
    await untilLive(appPage);

    // Someone switches node-2 back to blue by hand, behind switchyard's back.
    const node = env.fleet.nodes[1]!;
    const path = join(node.dir, 'backends.d', 'blog.conf');
    await writeFile(path, renderUpstream(await readFile(path, 'utf8'), env.config.apps[0]!, 'blue', path));
    await env.fleet.inNode(node, 'sh', ['-c', env.fleet.nginxConfig.reloadCommand]);
    await checkFleet(agent);

    await overview.waitForSelector('main .warning');
    expect(await mainText(overview)).toMatch(new RegExp(`Drift\\s+blog: fleet: nodes disagree on the live colour: .*${node.name} blue`));
    await shot(overview, 'overview-drift');
    await appPage.waitForSelector('tr.drifted');
    expect(await appPage.$eval('tr.drifted', (tr) => (tr as unknown as BrowserElement).innerText)).toMatch(new RegExp(`${node.name}\\s+serves blue\\s+idle\\s+serves blue, the record says green`));
    expect(await mainText(appPage)).toMatch(/blue\s+blog-blue\s+—?none|green\s+blog-green\s+2\.0\.0\s+2\/2/);
    expect(await appPage.title()).toBe('blog · drift · switchyard');
    await shot(appPage, 'app-drift');
    // Readable in dark mode: the same page with the system's dark scheme.
    await appPage.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    expect(await appPage.$eval('body', (b) => getComputedStyle(b as never).backgroundColor)).toBe('rgb(13, 17, 23)');
    await shot(appPage, 'app-drift-dark');
    await overview.close();
    await appPage.close();
  });

  it('reads the same with JavaScript off: every page is rendered on the server, and an unknown app or deploy is a page saying so', async () => {
    const id = (await agent.service.history('blog'))[0]!.id;
    for (const [path, expected] of [
      ['/', /blog\tgreen 2\.0\.0\tblue 1\.0\.0, retired/],
      ['/apps/blog', /History[\s\S]*deploy of 2\.0\.0/],
      [`/deploys/${id}`, /done: green 2\.0\.0 is live/],
    ] as const) {
      const page = await open(path, { javaScript: false });
      expect(await mainText(page), path).toMatch(expected);
      expect(await page.$eval('#live-status', (e) => e.textContent)).toContain('reload for news');
      await shot(page, `no-js${path === '/' ? '-overview' : path.replaceAll('/', '-').replace(id, 'deploy')}`);
      await page.close();
    }
    // An app or deploy that is not there is a page too, saying so.
    for (const [path, message] of [['/apps/nope', 'no app nope'], ['/deploys/blog-00000000', 'no deploy blog-00000000']] as const) {
      const answer = await fetch(`${url}${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await answer.text()).toContain(`<p class="problem">${message}</p>`);
    }
  });

  it('off loopback, a viewer signs in with a viewer token (an HttpOnly SameSite=Strict cookie) and then sees the pages', async () => {
    const token = 'v'.repeat(40);
    // A listener on the sandbox's own bridge: reachable from the test's network only, and not loopback.
    const remote: ApiFrontEnd = apiFrontEnd(agent, {
      config: { ...env.config, api: { ...env.config.api, host: env.fleet.gateway, port: 0 } },
      secrets: { apiTokens: [], viewerTokens: [{ name: 'on-call', token }] },
      log: silentLogger,
      metrics: new Metrics(),
      // Read-only pages: a follower serves them as the leader does.
      leadership: { view: { leading: false, leader: null, retryAfterSeconds: 1 } },
    });
    await remote.start();
    try {
      const refused = await fetch(`${remote.url}/apps/blog`);
      expect(refused.status).toBe(401);
      expect(await refused.text()).toContain('<form method="post" action="/login">');
      expect((await fetch(`${remote.url}/live/`)).status).toBe(401);

      const page = await browser.newPage();
      await page.goto(`${remote.url}/apps/blog`);
      await page.type('#token', `${token}x`);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect(await mainText(page)).toContain('That token is not valid.');
      await page.type('#token', token);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect(new URL(page.url()).pathname).toBe('/apps/blog');
      expect(await mainText(page)).toContain('ReplicaSets');
      await untilLive(page);
      const [cookie] = await browser.cookies();
      expect(cookie).toMatchObject({ name: 'switchyard_viewer', httpOnly: true, sameSite: 'Strict' });
      expect(await page.evaluate(() => document.cookie)).toBe('');

      // A link from another site (as from Slack) arrives without the Strict cookie; the page loads itself again and is shown.
      await page.setContent(`<a href="${remote.url}/deploys/${(await agent.service.history('blog'))[0]!.id}">the deploy</a>`);
      await page.click('a');
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent?.startsWith('Deploy of blog'), { timeout: 15_000 });
      await page.close();
    } finally {
      await remote.stop();
    }
  });

  it('logged no error in any page (no CSP violation, no script error)', () => {
    expect(problems).toEqual([]);
  });
});

/**
 * dashboard: how fast each page of the dashboard paints in Debian's chromium
 * (headless), against the sandbox with one real node and one finished deploy:
 * the server's answer (request sent to first byte), first contentful paint,
 * and the page's size, per page over warm loads (a new tab each), beside a
 * baseline in the same run: a one-line static page from a bare node:http
 * server, the browser's own floor.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser } from 'puppeteer-core';
import { AgentServer } from '../src/agent/agent-server.js';
import { createAgent } from '../src/agent/create-agent.js';
import { loadFrontEnds } from '../src/agent/load-front-ends.js';
import { loadSecrets } from '../src/config/load-secrets.js';
import { systemClock } from '../src/deploy/system-clock.js';
import { silentLogger } from '../src/log/logger.js';
import { startSandboxEnv } from '../src/sandbox/sandbox-env.js';
import { median, percentile, round } from './figures.js';

const LOADS = 15;

/** Navigation timing and first contentful paint of one load, read in the page. */
const TIMING = `new Promise((resolve) => {
  const nav = performance.getEntriesByType('navigation')[0];
  new PerformanceObserver((list) => {
    const fcp = list.getEntries().find((e) => e.name === 'first-contentful-paint');
    if (fcp) resolve({ serverMs: nav.responseStart - nav.requestStart, fcpMs: fcp.startTime, bytes: nav.transferSize });
  }).observe({ type: 'paint', buffered: true });
})`;

interface Load {
  serverMs: number;
  fcpMs: number;
  bytes: number;
}

async function load(browser: Browser, url: string): Promise<Load> {
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'load' });
  const timing = (await page.evaluate(TIMING)) as Load;
  await page.close();
  return timing;
}

/** Each page once per round, in turn, so the machine's other load falls on all of them alike; round 0 warms the caches and is not counted. */
async function rounds(browser: Browser, urls: readonly string[]): Promise<Load[][]> {
  const out: Load[][] = urls.map(() => []);
  for (let round = 0; round <= LOADS; round++) {
    for (const [i, url] of urls.entries()) {
      const timing = await load(browser, url);
      if (round > 0) out[i]!.push(timing);
    }
  }
  return out;
}

function figures(name: string, page: string, samples: Load[]): { name: string } & Record<string, unknown> {
  const fcp = samples.map((s) => s.fcpMs).sort((a, b) => a - b);
  return {
    name,
    page,
    loads: samples.length,
    serverMedianMs: round(median(samples.map((s) => s.serverMs))),
    fcpMedianMs: round(median(fcp)),
    fcpP90Ms: round(percentile(fcp, 90)),
    bytes: samples[0]!.bytes,
  };
}

export default async function* dashboard(): AsyncGenerator<{ name: string } & Record<string, unknown>> {
  const env = await startSandboxEnv({ nodes: 1 });
  const agent = await createAgent(env.config, { log: silentLogger, ec2: env.ec2Options });
  const server = new AgentServer(agent, { log: silentLogger, clock: systemClock, everyMs: 5_000 });
  const baseline = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>x</title><p>baseline</p>'));
  let browser: Browser | undefined;
  try {
    const { api } = await loadFrontEnds(server, agent, { config: env.config, secrets: loadSecrets(env.config, {}), log: silentLogger, clock: systemClock });
    await server.start();
    const started = await agent.service.deploy('blog', '2.0.0', { by: { via: 'cli', id: 'bench' }, skipVerify: true });
    await started.done;
    await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve));
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    const pages = ['/', '/apps/blog', `/deploys/${started.record.id}`];
    const [floor, ...measured] = await rounds(browser, [`http://127.0.0.1:${(baseline.address() as AddressInfo).port}/`, ...pages.map((p) => `${api!.url}${p}`)]);
    yield figures('dashboard-baseline', 'static one-line page', floor!);
    for (const [i, page] of pages.entries()) yield figures('dashboard', page, measured[i]!);
  } finally {
    await browser?.close();
    baseline.close();
    await server.stop();
    await agent.close();
    await env.close();
  }
}

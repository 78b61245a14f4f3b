import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Route } from '../api/api-router.js';
import { isFinal } from '../deploy/deploy-phases.js';
import { ERROR_TABLE } from '../errors/error-table.js';
import { asSwitchyardError, SwitchyardError } from '../errors/switchyard-error.js';
import { renderAppPage } from './app-page.js';
import { loadApp, loadApps, snapshotOf, type DashboardData } from './dashboard-data.js';
import { ASSETS_DIR } from './dashboard-style.js';
import { renderDeployPage } from './deploy-page.js';
import { html } from './html.js';
import { streamPage } from './live-stream.js';
import { renderOverview } from './overview-page.js';
import { renderDocument, type Page } from './page-layout.js';
import { SECURITY_HEADERS, sendHtml } from './send-html.js';
import { readSignIn, renderSignIn, safeNext, viewerCookie } from './sign-in.js';
import type { ViewerCheck } from './viewer-check.js';

export interface DashboardDeps extends DashboardData {
  check: ViewerCheck;
  /** Set the sign-in cookie `Secure` (the dashboard is reached over HTTPS). */
  secureCookie: boolean;
  /** Between re-renders of a quiet live page (ages move on); default 15 s. */
  heartbeatMs: number;
  /** The open live streams' ends, so the API can end them when it stops. */
  open: Set<() => void>;
}

/** What a page shows: the overview, an app, or a deploy. */
type Target = { kind: 'overview' } | { kind: 'app'; app: string } | { kind: 'deploy'; id: string };

function asset(name: string, type: string): { url: string; body: Buffer; type: string } {
  const body = readFileSync(join(ASSETS_DIR, name));
  // Versioned by content, so a browser may keep it as long as it likes.
  return { url: `/assets/${name}?v=${createHash('sha256').update(body).digest('hex').slice(0, 12)}`, body, type };
}

/**
 * The read-only dashboard, served on the API's listener (README: Dashboard):
 * `/` (every app), `/apps/<app>`, `/deploys/<id>`, each server-rendered whole
 * and followed live at `/live/...` (Server-Sent Events), `/login` for remote
 * viewers, and its one script and icon. Every page is rendered from
 * the deploy service (state in the cluster, the feed), nothing is changed.
 *
 * @example
 * apiRouter({ api, open: [...healthHandlers(...), ...dashboardRoutes({ service, apps, now, check, secureCookie: false, heartbeatMs: 15_000, open })], ... });
 */
export function dashboardRoutes(deps: DashboardDeps): Route[] {
  const js = asset('dashboard.js', 'text/javascript; charset=utf-8');
  const icon = asset('favicon.svg', 'image/svg+xml');
  const assets = { js: js.url, icon: icon.url };
  const target = (path: string, params: string[]): Target =>
    path === 'apps' ? { kind: 'app', app: params[0]! } : path === 'deploys' ? { kind: 'deploy', id: params[0]! } : { kind: 'overview' };

  const page = (kind: '' | 'apps' | 'deploys', path: RegExp): Route => ({
    method: 'GET',
    path,
    async handle(ctx) {
      const { req, res, params } = ctx;
      const now = deps.now();
      const here = new URL(req.url ?? '/', 'http://switchyard').pathname;
      try {
        deps.check.viewer(req);
      } catch (err) {
        // A link followed from another site (Slack) arrives without the SameSite=Strict cookie: loading
        // the page again from itself sends it. Only once: that second request comes from this site.
        const reload = req.headers['sec-fetch-site'] === 'cross-site';
        return sendHtml(res, 401, renderDocument(renderSignIn(here, asSwitchyardError(err).message), { assets, now, reload }));
      }
      try {
        const { page } = await loadPage(deps, target(kind, params));
        sendHtml(res, 200, renderDocument(page, { live: `/live${here}`, assets, now }));
      } catch (err) {
        const e = asSwitchyardError(err);
        if (e.code === 'internal') throw err;
        sendHtml(res, ERROR_TABLE[e.code].http, renderDocument(errorPage(e), { assets, now }));
      }
    },
  });

  const live = (kind: '' | 'apps' | 'deploys', path: RegExp): Route => ({
    method: 'GET',
    path,
    async handle(ctx) {
      deps.check.viewer(ctx.req);
      const t = target(kind, ctx.params);
      // An unknown app or deploy is answered (404) before the stream starts.
      await loadPage(deps, t);
      streamPage({
        res: ctx.res,
        render: () => loadPage(deps, t),
        follow: (changed) => follow(deps, t, changed),
        heartbeatMs: deps.heartbeatMs,
        open: deps.open,
        onError: (err) => ctx.log.warn({ err }, 'a live page could not be rendered'),
      });
    },
  });

  const file = (a: ReturnType<typeof asset>): Route => ({
    method: 'GET',
    path: new RegExp(`^${a.url.split('?')[0]!.replaceAll('.', '\\.')}$`),
    async handle({ res }) {
      res.writeHead(200, { 'content-type': a.type, 'content-length': String(a.body.length), 'cache-control': 'public, max-age=31536000, immutable', ...SECURITY_HEADERS });
      res.end(a.body);
    },
  });

  return [
    page('', /^\/$/),
    page('apps', /^\/apps\/([^/]+)$/),
    page('deploys', /^\/deploys\/([^/]+)$/),
    live('', /^\/live\/$/),
    live('apps', /^\/live\/apps\/([^/]+)$/),
    live('deploys', /^\/live\/deploys\/([^/]+)$/),
    file(js),
    file(icon),
    {
      method: 'GET',
      path: /^\/login$/,
      async handle({ req, res }) {
        const next = safeNext(new URL(req.url ?? '/', 'http://switchyard').searchParams.get('next'));
        sendHtml(res, 200, renderDocument(renderSignIn(next), { assets, now: deps.now() }));
      },
    },
    {
      method: 'POST',
      path: /^\/login$/,
      async handle(ctx) {
        const { req, res } = ctx;
        const { token, next } = await readSignIn(req);
        const name = deps.check.match(token);
        if (name === undefined) {
          ctx.log.info('a dashboard sign-in with a wrong token');
          return sendHtml(res, 401, renderDocument(renderSignIn(next, 'That token is not valid.'), { assets, now: deps.now() }));
        }
        ctx.log.info({ viewer: name }, 'signed in to the dashboard');
        res.writeHead(303, { location: next, 'set-cookie': viewerCookie(token, deps.secureCookie), 'cache-control': 'no-store', ...SECURITY_HEADERS });
        res.end();
      },
    },
  ];
}

async function loadPage(data: DashboardData, t: Target): Promise<{ page: Page; final: boolean }> {
  const now = data.now();
  if (t.kind === 'overview') return { page: renderOverview(await loadApps(data), now), final: false };
  if (t.kind === 'app') {
    const app = data.apps.find((a) => a.name === t.app);
    if (!app) throw new SwitchyardError('app-unknown', `no app ${t.app}`, { hint: 'the overview at / lists every app' });
    const [view, colours] = await Promise.all([
      loadApp(data, app),
      data.service.colours(app.name).catch((err: unknown) => ({ problem: asSwitchyardError(err).message })),
    ]);
    return { page: renderAppPage({ view, colours }, now), final: false };
  }
  const { record, state } = await data.service.find(t.id);
  const snapshot = snapshotOf(data.service, record, state);
  return { page: renderDeployPage(snapshot, now), final: isFinal(snapshot.record.phase) };
}

/** Subscribes `changed` to what can change the page: its deploys in the feed and its apps' fleet reports. */
function follow({ service }: DashboardData, t: Target, changed: () => void): () => void {
  if (t.kind === 'deploy') return service.watch({ deployId: t.id }, changed);
  const app = t.kind === 'app' ? t.app : undefined;
  const stops = [service.watch(app ? { app } : {}, changed), service.feed.watchFleet((r) => (app === undefined || r.app === app) && changed())];
  return () => stops.forEach((stop) => stop());
}

function errorPage(e: SwitchyardError): Page {
  const heading = ERROR_TABLE[e.code].http === 404 ? 'Not found' : 'Cannot show this';
  return {
    title: `${heading} · switchyard`,
    main: html`<h1>${heading}</h1>
<p class="problem">${e.message}</p>${e.hint && html`<p>${e.hint}</p>`}
<p><a href="/">Back to every app</a></p>`,
  };
}

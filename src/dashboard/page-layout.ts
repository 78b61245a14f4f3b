import { createHash } from 'node:crypto';
import { DASHBOARD_STYLE } from './dashboard-style.js';
import { html, type SafeHtml } from './html.js';

/** A page's own part: its title and what goes in <main>; the layout around it is the same on every page. */
export interface Page {
  title: string;
  main: SafeHtml;
}

export interface LayoutOptions {
  /** Where the page's live stream is (the client script follows it); none for pages that do not change. */
  live?: string;
  /** The script's and the icon's URLs (versioned, so browsers may keep them). */
  assets: { js: string; icon: string };
  now: Date;
  /** Load the page again at once, from itself (see dashboardRoutes: a link from another site). */
  reload?: boolean;
}

/** Tells two renderings of <main> apart cheaply: the script skips an update that changes nothing (and keeps the reader's focus). */
export const digestOf = (main: SafeHtml): string => createHash('sha256').update(main.text).digest('base64url').slice(0, 16);

/**
 * The whole document around a page: server-rendered, so it reads with
 * JavaScript off; the script (the only one, from our origin: the CSP allows
 * no inline script) replaces <main> with each newer rendering from the stream.
 *
 * @example
 * res.end(renderDocument(renderOverview(apps, now), { live: '/live/', assets, now }).text);
 */
export function renderDocument(page: Page, options: LayoutOptions): SafeHtml {
  const asOf = `${options.now.toISOString().slice(11, 19)} UTC`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${options.reload && html`<meta http-equiv="refresh" content="0">`}
<title>${page.title}</title>
<link rel="icon" href="${options.assets.icon}">
<style>${DASHBOARD_STYLE}</style>
${options.live && html`<script src="${options.assets.js}" defer></script>`}
</head>
<body>
<a class="skip" href="#page">Skip to the content</a>
<header>
<nav aria-label="switchyard"><a href="/" class="home">switchyard</a></nav>
<p id="live-status" role="status">${options.live ? `As of ${asOf}; reload for news (live updates need JavaScript).` : `As of ${asOf}.`}</p>
</header>
<main id="page" tabindex="-1"${options.live ? html` data-live="${options.live}" data-digest="${digestOf(page.main)}"` : ''}>
${page.main}
</main>
</body>
</html>
`;
}

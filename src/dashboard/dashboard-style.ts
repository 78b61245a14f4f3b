import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafeHtml } from './html.js';

/** The dashboard's script, style sheet and icon, beside this module: `npm run build` copies them into dist/, which is all the image holds. */
export const ASSETS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'assets');

const css = readFileSync(join(ASSETS_DIR, 'dashboard.css'), 'utf8');

/**
 * The style sheet, placed in each page's <style>: a linked one blocks the
 * first paint for a round trip even from the browser's cache (about 130 ms
 * here, see bench/dashboard.bench.ts). Our own file, so it goes in as it is;
 * the CSP allows exactly this text by its hash, and no other inline style.
 */
export const DASHBOARD_STYLE = new SafeHtml(css);

/** The CSP source that allows the <style> above: its SHA-256, as CSP writes it. */
export const STYLE_SOURCE = `'sha256-${createHash('sha256').update(css).digest('base64')}'`;

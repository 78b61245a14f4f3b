import type { ServerResponse } from 'node:http';
import { STYLE_SOURCE } from './dashboard-style.js';
import type { SafeHtml } from './html.js';

/**
 * The dashboard's Content-Security-Policy: nothing from elsewhere, and
 * nothing inline but its own style sheet (allowed by its hash). Its one
 * script comes from this origin, the stream too. A value that slipped
 * through escaping could still not run, nor restyle the page.
 */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; script-src 'self'; style-src ${STYLE_SOURCE}; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** Headers every dashboard answer carries (pages, stream, assets). */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Answers a whole page; never cached, since every page is the state of now. */
export function sendHtml(res: ServerResponse, status: number, doc: SafeHtml, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(Buffer.byteLength(doc.text)),
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(doc.text);
}

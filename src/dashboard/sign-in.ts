import type { IncomingMessage } from 'node:http';
import { readBody } from '../api/read-json-body.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { html } from './html.js';
import type { Page } from './page-layout.js';
import { VIEWER_COOKIE } from './viewer-check.js';

/** A viewer stays signed in this long (an on-call shift), then signs in again. */
const COOKIE_MAX_AGE_SECONDS = 12 * 3600;

/** Where to go after signing in: a path on this dashboard only (never another site, never `//host`). */
export const safeNext = (next: string | null | undefined): string => (next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/');

/** The sign-in form; `problem` says why the last attempt failed. */
export function renderSignIn(next: string, problem?: string): Page {
  return {
    title: 'Sign in · switchyard',
    main: html`
<h1>Sign in to look</h1>
<p>This dashboard is read-only. Paste a viewer token (from the agent's <code>SWITCHYARD_VIEWER_TOKENS</code>) or an API token.
Your browser keeps it in a cookie only this dashboard gets and no script can read, for 12 hours.</p>
${problem && html`<p class="problem" role="alert">${problem}</p>`}
<form method="post" action="/login">
<input type="hidden" name="next" value="${next}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>`,
  };
}

/** The sign-in form's fields, from its url-encoded body (at most 4 KiB). */
export async function readSignIn(req: IncomingMessage): Promise<{ token: string; next: string }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new SwitchyardError('unsupported-media-type', 'sign in with the form at /login', { hint: 'or send the token as Authorization: Bearer <token>' });
  }
  const fields = new URLSearchParams(await readBody(req, 4096));
  return { token: fields.get('token')?.trim() ?? '', next: safeNext(fields.get('next')) };
}

/**
 * The cookie that keeps a viewer signed in: HttpOnly (no script reads it),
 * SameSite=Strict (no other site's page sends it), Secure when the
 * dashboard is served over HTTPS.
 */
export function viewerCookie(token: string, secure: boolean): string {
  return `${VIEWER_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_SECONDS}${secure ? '; Secure' : ''}`;
}

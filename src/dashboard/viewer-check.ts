import type { IncomingMessage } from 'node:http';
import { tokenMatcher } from '../api/bearer-token-check.js';
import { SwitchyardError } from '../errors/switchyard-error.js';

/** The cookie the sign-in form sets: the viewer's token, HttpOnly and SameSite=Strict (README: Dashboard). */
export const VIEWER_COOKIE = 'switchyard_viewer';

export interface ViewerCheckOptions {
  /** Viewer tokens and the API's tokens: whoever may deploy may look. */
  tokens: readonly { name: string; token: string }[];
  /** No token needed: the listener is loopback-only, so only this machine's users reach it. */
  open: boolean;
}

/** Whether a listen address is reachable from this machine only. */
export const isLoopback = (host: string): boolean => /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(host);

/** The token a request carries: `Authorization: Bearer` (curl, a proxy) or the sign-in cookie (a browser). */
function presentedToken(req: IncomingMessage): string | undefined {
  const bearer = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === VIEWER_COOKIE) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface ViewerCheck {
  /** The viewer's name for the log ('local' on loopback), or throws 'unauthenticated'. */
  viewer(req: IncomingMessage): string;
  /** The name of the token someone signs in with, or undefined for a wrong one. */
  match(token: string): string | undefined;
}

/**
 * Who may look at the dashboard: anyone when it listens on loopback only;
 * otherwise a request with a viewer or API token (compared as digests in
 * constant time, as the API's).
 *
 * @example
 * const check = viewerCheck({ tokens: [...secrets.viewerTokens, ...secrets.apiTokens], open: isLoopback(config.api.host) });
 * check.viewer(req); // 'on-call', or throws SwitchyardError 'unauthenticated'
 */
export function viewerCheck(options: ViewerCheckOptions): ViewerCheck {
  const match = tokenMatcher(options.tokens);
  return {
    match,
    viewer(req) {
      if (options.open) return 'local';
      const token = presentedToken(req);
      const name = token === undefined ? undefined : match(token);
      if (name === undefined) {
        throw new SwitchyardError('unauthenticated', token === undefined ? 'the dashboard needs a viewer token' : 'the viewer token is not valid', {
          hint: "sign in at /login with a token from the agent's SWITCHYARD_VIEWER_TOKENS",
        });
      }
      return name;
    },
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Secrets } from '../config/load-secrets.js';
import { SwitchyardError } from '../errors/switchyard-error.js';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Checks an `Authorization: Bearer <token>` header against the CI tokens and
 * answers the matching token's name (docs/architecture.md, invariant 9). Tokens are
 * compared as SHA-256 digests with timingSafeEqual: digests are equally long
 * whatever was sent, so the time taken tells nothing of a token's content or
 * length; and every token is compared, so it tells nothing of which matched.
 * Only the header counts: a token in the URL ends up in logs, so none is read there.
 *
 * @example
 * const check = bearerTokenCheck(secrets.apiTokens);
 * check(req.headers.authorization); // 'ci', or throws SwitchyardError 'unauthenticated'
 */
export function bearerTokenCheck(tokens: Secrets['apiTokens']): (authorization: string | undefined) => string {
  const match = tokenMatcher(tokens);
  return (authorization) => {
    const token = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
      throw new SwitchyardError('unauthenticated', 'this needs a CI token', {
        hint: 'send it as Authorization: Bearer <token> (a token in the URL is not accepted)',
      });
    }
    const name = match(token);
    if (name === undefined) {
      throw new SwitchyardError('unauthenticated', 'the token is not valid', { hint: "check the CI secret against the agent's SWITCHYARD_API_TOKENS" });
    }
    return name;
  };
}

/**
 * The name of the token `presented` is, or undefined: compared as digests in
 * constant time, every token each time (see bearerTokenCheck). The dashboard's
 * viewer check uses it too.
 *
 * @example
 * tokenMatcher([{ name: 'ci', token }])(token); // 'ci'
 */
export function tokenMatcher(tokens: readonly { name: string; token: string }[]): (presented: string) => string | undefined {
  const known = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  return (presented) => {
    const d = digest(presented);
    let name: string | undefined;
    for (const k of known) if (timingSafeEqual(d, k.digest)) name = k.name;
    return name;
  };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../../src/errors/switchyard-error.js';
import type { UpstreamApp } from '../../src/fleet/upstream-file.js';
import type { Colour } from '../../src/validate/patterns.js';

/**
 * Upstream files as people write them, in test/fixtures/upstreams/: each
 * `<case>.conf` is read as the app blog (ports 30000/30001) would be, and
 * `<case>.flipped.conf` is exactly what switching it to the other colour
 * must write. Only the `down` flags of the app's upstream may differ.
 */
export const corpusDir = join(import.meta.dirname, '..', 'fixtures', 'upstreams');
export const fixture = (name: string): string => readFileSync(join(corpusDir, name), 'utf8');
/** How a fleet switch names the file in its errors. */
export const where = 'node-1:/etc/nginx/backends.d/blog.conf';

export interface Readable {
  file: string;
  live: Colour;
  /** The app's upstreamName in config, when not blogLB. */
  upstreamName?: string;
  /** The oldest nginx that accepts the file, where older ones do not. */
  minNginx?: string;
}
export interface Refused {
  file: string;
  code: ErrorCode;
  message: RegExp;
  hint: RegExp;
}

export const readable: Readable[] = [
  { file: 'template', live: 'blue' },
  { file: 'weights', live: 'green' },
  { file: 'keepalive-zone-backup', live: 'blue' },
  // `resolve` on a server is in open-source nginx from 1.27.3.
  { file: 'resolve', live: 'green', minNginx: '1.27.3' },
  { file: 'ipv6', live: 'blue' },
  { file: 'comments', live: 'blue' },
  { file: 'tabs', live: 'green' },
  { file: 'crlf', live: 'blue' },
  { file: 'one-line', live: 'green' },
  { file: 'same-line', live: 'blue' },
  { file: 'several-upstreams', live: 'blue' },
  // A static pool, a canary and per-colour previews on the app's ports are the operator's, never switched.
  { file: 'shared-ports', live: 'blue' },
  // What an operator leaves after undoing a switch that wrongly marked blog_static down.
  { file: 'hand-fixed', live: 'green' },
  { file: 'prefix-names', live: 'blue' },
  { file: 'down-first', live: 'blue' },
  { file: 'down-middle', live: 'green' },
  { file: 'multi-line', live: 'green' },
  // Removing a `down` after a comment must not pull the `;` into the comment.
  { file: 'comment-before-down', live: 'green' },
  { file: 'quoted', live: 'green' },
  { file: 'custom-name', live: 'green', upstreamName: 'blog_backend' },
];

const fix = (what: string): RegExp => new RegExp(`${what}.*${where}`);
export const refused: Refused[] = [
  { file: 'error-missing', code: 'upstream-missing', message: /has no upstream blogLB \(it has blogLB2, blog_static\)$/, hint: /add upstream blogLB to .*blog\.conf, or set upstreamName of blog/ },
  { file: 'error-empty', code: 'upstream-missing', message: /has no upstream blogLB$/, hint: fix('add upstream blogLB to') },
  { file: 'error-duplicate', code: 'upstream-invalid', message: /upstream blogLB is defined 2 times \(lines 1, 5\)/, hint: fix('keep one upstream blogLB in') },
  { file: 'error-include', code: 'upstream-invalid', message: /upstream blogLB takes servers from `include \/etc\/nginx\/blog-servers\.inc` \(line 3\)/, hint: fix('write the servers on ports 30000 and 30001 directly in upstream blogLB in') },
  { file: 'error-neither-colour', code: 'upstream-invalid', message: /upstream blogLB has no server on port 30000 \(blue\) or 30001 \(green\)/, hint: /add `server 127\.0\.0\.1:30000;` \(blue\) and .* to upstream blogLB in .*blog\.conf, or set upstreamName of blog/ },
  { file: 'error-one-colour', code: 'upstream-invalid', message: /upstream blogLB has no server on port 30000 \(blue\)$/, hint: fix('upstream blogLB in') },
  { file: 'error-colour-twice', code: 'upstream-invalid', message: /upstream blogLB names blue \(port 30000\) 2 times \(lines 2, 4\)/, hint: fix('keep one server on port 30000 in upstream blogLB in') },
  { file: 'error-both-down', code: 'upstream-invalid', message: /upstream blogLB has both colours down: cannot tell which colour is live/, hint: fix('mark exactly one of its two servers `down` in upstream blogLB in') },
  { file: 'error-both-up', code: 'upstream-invalid', message: /upstream blogLB has both colours up/, hint: fix('upstream blogLB in') },
  { file: 'error-unbalanced', code: 'upstream-invalid', message: /: unexpected end of file on line 4$/, hint: fix('fix') },
];

/** The app blog, as its config gives it to the fleet. */
export const appOf = (c: { upstreamName?: string }): UpstreamApp => ({ name: 'blog', portBase: 30000, ...(c.upstreamName ? { upstreamName: c.upstreamName } : {}) });


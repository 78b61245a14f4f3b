import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenApiDocuments } from './openapi-documents.js';

/**
 * Serves `/openapi/v2` and `/openapi/v3[/<group-version>]` the way
 * kube-openapi's handlers do: content negotiated from Accept (JSON, or
 * protobuf for v2; 406 otherwise), an ETag that is the SHA-512 of the body
 * (304 on If-None-Match), and for a v3 document asked for by a stale `hash`,
 * a 301 to the current one; with the right hash it may be cached for good.
 * Returns false for a group-version it has no document for.
 *
 * @example
 * if (!serveOpenApi(req, res, url, docs)) recordUnserved();
 */
const V2_TYPES: [string, string][] = [
  ['application/json', 'application/json'],
  ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'],
  ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'],
];

/** The first offered type the Accept header takes, by q and then by how specific the range is (goautoneg's order). */
function negotiate(accept: string | undefined, offered: string[]): string | undefined {
  const ranges = (accept || '*/*')
    .split(',')
    .map((part, i) => {
      const [range, ...params] = part.trim().split(';').map((s) => s.trim());
      const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1);
      const [type = '', subtype = ''] = range!.split('/');
      return { type, subtype, q, i, specificity: (type === '*' ? 0 : 1) + (subtype === '*' ? 0 : 1) };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || b.specificity - a.specificity || a.i - b.i);
  for (const r of ranges) {
    const match = offered.find((o) => {
      const [type, subtype] = o.split('/');
      return (r.type === '*' || r.type === type) && (r.subtype === '*' || r.subtype === subtype);
    });
    if (match) return match;
  }
  return undefined;
}

function serve(req: IncomingMessage, res: ServerResponse, contentType: string, body: Buffer | string, headers: Record<string, string> = {}): void {
  const etag = `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
  res.setHeader('Vary', 'Accept');
  res.setHeader('Etag', etag);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function serveOpenApi(req: IncomingMessage, res: ServerResponse, url: URL, docs: OpenApiDocuments): boolean {
  const path = url.pathname;
  if (path === '/openapi/v2') {
    const wanted = negotiate(req.headers.accept, V2_TYPES.map(([t]) => t));
    const returned = V2_TYPES.find(([t]) => t === wanted)?.[1];
    if (!returned) res.writeHead(406).end();
    else serve(req, res, returned, returned === 'application/json' ? JSON.stringify(docs.v2()) : docs.v2Protobuf());
    return true;
  }
  if (path === '/openapi/v3') {
    serve(req, res, 'application/json', JSON.stringify(docs.v3Index()));
    return true;
  }
  const groupVersion = path.slice('/openapi/v3/'.length);
  const doc = docs.v3(groupVersion);
  if (!doc) return false;
  res.setHeader('Vary', 'Accept');
  if (!negotiate(req.headers.accept, ['application/json'])) {
    res.writeHead(406).end();
    return true;
  }
  const hash = url.searchParams.get('hash');
  if (hash && hash !== doc.hash) {
    res.writeHead(301, { Location: `/openapi/v3/${groupVersion}?hash=${doc.hash}` }).end();
    return true;
  }
  const immutable: Record<string, string> = hash ? { 'Cache-Control': 'public, immutable', Expires: new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString() } : {};
  serve(req, res, 'application/json', doc.json, immutable);
  return true;
}

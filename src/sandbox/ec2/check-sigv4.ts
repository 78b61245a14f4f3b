import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Ec2ApiError } from './ec2-api-error.js';

export interface SignedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * Checks a request's AWS Signature Version 4 the way EC2 does and answers
 * which access key signed it. Unknown keys, a scope for another region or
 * service, and a wrong signature are answered AuthFailure, as EC2 answers
 * them; a missing or malformed Authorization header is a client fault.
 *
 * @example
 * const accessKeyId = checkSigV4(request, 'us-east-1', (id) => secrets.get(id));
 */
export function checkSigV4(req: SignedRequest, region: string, secretOf: (accessKeyId: string) => string | undefined): string {
  const header = req.headers.authorization;
  if (header === undefined) {
    throw new Ec2ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 401);
  }
  const m = AUTHORIZATION.exec(header);
  if (!m) throw new Ec2ApiError('IncompleteSignature', 'Authorization header is not a complete AWS4-HMAC-SHA256 signature', 400);
  const [, accessKeyId = '', date = '', scopeRegion = '', service = '', signedHeaders = '', signature = ''] = m;
  const secret = secretOf(accessKeyId);
  if (secret === undefined) throw authFailure(NOT_VALIDATED);
  if (scopeRegion !== region || service !== 'ec2') {
    throw authFailure(`Credential should be scoped to a valid region, not '${scopeRegion}'.`);
  }
  const amzDate = headerValue(req.headers, 'x-amz-date');
  const names = signedHeaders.split(';');
  if (amzDate === undefined || !amzDate.startsWith(date) || !names.includes('host')) throw authFailure(NOT_VALIDATED);

  const [path = '/', query = ''] = req.url.split('?', 2);
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery(query),
    names.map((n) => `${n}:${(headerValue(req.headers, n) ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
    signedHeaders,
    headerValue(req.headers, 'x-amz-content-sha256') ?? sha256(req.body),
  ].join('\n');
  const scope = `${date}/${scopeRegion}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), scopeRegion), service), 'aws4_request');
  const expected = hmac(key, toSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw authFailure(NOT_VALIDATED);
  return accessKeyId;
}

const NOT_VALIDATED = 'AWS was not able to validate the provided access credentials';
const authFailure = (message: string): Ec2ApiError => new Ec2ApiError('AuthFailure', message, 401, true);

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Query parameters sorted by name, then value, each RFC 3986-encoded (the SDK's Query API requests have none). */
function canonicalQuery(query: string): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [...new URLSearchParams(query)]
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

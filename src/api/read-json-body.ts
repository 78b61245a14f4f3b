import type { IncomingMessage } from 'node:http';
import { SwitchyardError } from '../errors/switchyard-error.js';

/** A deploy request is a few hundred bytes; this leaves room and still bounds what one request can make the agent hold. */
const BODY_LIMIT = 16 * 1024;

/**
 * The request's body, parsed as JSON. Refuses a content type other than
 * JSON before reading anything (415), and a body over 16 KiB (413)
 * without reading on: a Content-Length over it is refused at once, a body
 * without one (chunked) as soon as it passes the limit.
 *
 * @example
 * const body = await readJsonBody(req); // throws SwitchyardError 'input-invalid' | 'payload-too-large' | 'unsupported-media-type'
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new SwitchyardError('unsupported-media-type', `the body must be JSON, not ${type ? JSON.stringify(type) : 'without a content type'}`, {
      hint: 'send Content-Type: application/json',
    });
  }
  const text = await readBody(req, BODY_LIMIT);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SwitchyardError('input-invalid', 'the body is not valid JSON', { hint: 'send one JSON object, e.g. {"app":"blog","version":"20151025.143403"}' });
  }
}

/** The body as text, refused (413) as soon as it passes `limit` bytes; the dashboard's sign-in form reads its body so too. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () =>
    new SwitchyardError('payload-too-large', `the body is larger than ${limit} bytes`, { hint: 'send only the fields the endpoint takes' });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (then: () => void) => {
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      then();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else settle(() => {
        // Stop here: the error's answer closes the connection, so the rest is never read.
        req.pause();
        reject(tooLarge());
      });
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks).toString('utf8')));
    const onClose = () => settle(() => reject(new SwitchyardError('input-invalid', 'the request ended before its body did')));
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

import type { IncomingMessage } from 'node:http';

/** What a stand-in reads of one request at most: far above anything its clients send. */
const MAX_BODY_BYTES = 1 << 20;

/**
 * A stand-in's request body, whole; a body over 1 MiB destroys the request
 * (a client gone wrong, not one to answer).
 *
 * @example
 * const body = (await readRequestBody(req)).toString('utf8');
 */
export function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

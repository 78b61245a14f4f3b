import { request } from 'node:http';

/** An HTTP answer, or why there was none. */
export type TextAnswer = { status: number; body: string } | { error: string };

/**
 * GET on a new connection (never a kept-alive one, which an old nginx worker
 * may still serve), as `curl` would; never throws.
 *
 * @example
 * const a = await httpGetText('http://10.213.7.11/', { host: 'blog' }); // { status: 200, body: 'blog 1.0.0' }
 */
export function httpGetText(url: string, options: { host?: string; timeoutMs?: number } = {}): Promise<TextAnswer> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: options.host ? { host: options.host } : {}, timeout: options.timeoutMs ?? 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within the timeout')));
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

/** "blog 1.0.0", "HTTP 503 no Ready pods of blog-green", "ECONNREFUSED". */
export function describeAnswer(a: TextAnswer): string {
  if ('error' in a) return a.error;
  return a.status === 200 ? a.body : `HTTP ${a.status} ${a.body}`.trim();
}

import { Agent, request } from 'node:http';

export type ConnectionMode = 'close' | 'keep-alive';

export interface LoadTarget {
  host: string;
  port: number;
  /** Host header, to pick the app's vhost. */
  hostHeader?: string;
}

export interface LoadReport {
  sent: number;
  ok: number;
  /** Requests that got no answer (reset, refused, timed out). */
  connectionErrors: number;
  /** Answers other than 200. */
  badStatus: number;
  /** How often each response body was seen, e.g. { 'blog green': 812 }. */
  bodies: Record<string, number>;
  /** The first few failures, for the test's message. */
  samples: string[];
}

/**
 * Continuous GET / against every target until stop() is called: a bounded
 * number of loops per target, each sending its next request as soon as the
 * last one ended. 'close' opens a connection per request; 'keep-alive'
 * reuses connections as browsers and proxies do.
 *
 * @example
 * const load = startLoad(nodes.map((n) => ({ host: n.address, port: 80 })), { mode: 'close', perTarget: 4 });
 * await switcher.switchTo(nodes, app, 'green');
 * const report = await load.stop(); // report.connectionErrors + report.badStatus should be 0
 */
export function startLoad(
  targets: readonly LoadTarget[],
  options: { mode: ConnectionMode; perTarget?: number; timeoutMs?: number; maxRequests?: number },
): { stop(): Promise<LoadReport>; report: LoadReport } {
  const report: LoadReport = { sent: 0, ok: 0, connectionErrors: 0, badStatus: 0, bodies: {}, samples: [] };
  const perTarget = options.perTarget ?? 4;
  const agent = options.mode === 'keep-alive' ? new Agent({ keepAlive: true, maxSockets: perTarget }) : undefined;
  const limit = options.maxRequests ?? 1_000_000;
  let running = true;
  const fail = (kind: 'connectionErrors' | 'badStatus', what: string): void => {
    report[kind]++;
    if (report.samples.length < 10) report.samples.push(what);
  };

  const once = (t: LoadTarget): Promise<void> =>
    new Promise((resolve) => {
      report.sent++;
      const req = request(
        { host: t.host, port: t.port, path: '/', agent: agent ?? false, headers: t.hostHeader ? { host: t.hostHeader } : {}, timeout: options.timeoutMs ?? 5000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => {
            if (res.statusCode === 200) {
              report.ok++;
              const key = body.trim();
              report.bodies[key] = (report.bodies[key] ?? 0) + 1;
            } else fail('badStatus', `${t.host}: HTTP ${res.statusCode} ${body.trim().slice(0, 80)}`);
            resolve();
          });
          res.on('error', (err) => {
            fail('connectionErrors', `${t.host}: ${err.message}`);
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => {
        fail('connectionErrors', `${t.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        resolve();
      });
      req.end();
    });

  const loops = targets.flatMap((t) =>
    Array.from({ length: perTarget }, async () => {
      while (running && report.sent < limit) await once(t);
    }),
  );
  return {
    report,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent?.destroy();
      return report;
    },
  };
}

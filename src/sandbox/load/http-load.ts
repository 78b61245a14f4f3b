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

export interface RunningLoad {
  /** Counts so far; final once stop() resolved. */
  report: LoadReport;
  /**
   * Resolves once every target has answered (or failed) a request sent after
   * this call: awaited before and after a switch, it proves the load really
   * ran across it. Rejects if the load is stopped first.
   */
  nextAnswers(): Promise<void>;
  stop(): Promise<LoadReport>;
}

/**
 * Continuous GET / against every target until stop() is called: a bounded
 * number of loops per target, each sending its next request as soon as the
 * last one ended. 'close' opens a connection per request; 'keep-alive'
 * reuses connections as browsers and proxies do.
 *
 * @example
 * const load = startLoad(nodes.map((n) => ({ host: n.address, port: 80 })), { mode: 'close', perTarget: 4 });
 * await load.nextAnswers();
 * await switcher.switchTo(nodes, app, 'green');
 * await load.nextAnswers();
 * const report = await load.stop(); // report.connectionErrors + report.badStatus should be 0
 */
export function startLoad(
  targets: readonly LoadTarget[],
  options: { mode: ConnectionMode; perTarget?: number; timeoutMs?: number },
): RunningLoad {
  const report: LoadReport = { sent: 0, ok: 0, connectionErrors: 0, badStatus: 0, bodies: {}, samples: [] };
  const perTarget = options.perTarget ?? 4;
  const agent = options.mode === 'keep-alive' ? new Agent({ keepAlive: true, maxSockets: perTarget }) : undefined;
  let running = true;
  // Per target: requests sent, and the highest of them that has settled.
  const sentTo = targets.map(() => 0);
  const settledAt = targets.map(() => 0);
  const waiters = new Set<{ after: number[]; resolve(): void; reject(err: Error): void }>();
  const wake = (): void => {
    for (const w of waiters) {
      if (settledAt.every((n, i) => n > w.after[i]!)) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };

  const once = (t: LoadTarget, i: number): Promise<void> =>
    new Promise((resolve) => {
      report.sent++;
      const n = ++sentTo[i]!;
      // A reset mid-body fails both the request and the response: count it once.
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        settledAt[i] = Math.max(settledAt[i]!, n);
        wake();
        resolve();
      };
      const fail = (kind: 'connectionErrors' | 'badStatus', what: string): void => {
        if (settled) return;
        report[kind]++;
        if (report.samples.length < 10) report.samples.push(what);
        settle();
      };
      const req = request(
        { host: t.host, port: t.port, path: '/', agent: agent ?? false, headers: t.hostHeader ? { host: t.hostHeader } : {}, timeout: options.timeoutMs ?? 5000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => {
            if (res.statusCode !== 200) return fail('badStatus', `${t.host}: HTTP ${res.statusCode} ${body.trim().slice(0, 80)}`);
            report.ok++;
            const key = body.trim();
            report.bodies[key] = (report.bodies[key] ?? 0) + 1;
            settle();
          });
          res.on('error', (err) => fail('connectionErrors', `${t.host}: ${err.message}`));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => fail('connectionErrors', `${t.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      req.end();
    });

  const loops = targets.flatMap((t, i) =>
    Array.from({ length: perTarget }, async () => {
      while (running) await once(t, i);
    }),
  );
  return {
    report,
    nextAnswers() {
      if (!running) return Promise.reject(new Error('the load was stopped'));
      return new Promise((resolve, reject) => waiters.add({ after: [...sentTo], resolve, reject }));
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      agent?.destroy();
      for (const w of waiters) w.reject(new Error(`the load was stopped before every target answered again (${report.sent} requests sent)`));
      waiters.clear();
      return report;
    },
  };
}

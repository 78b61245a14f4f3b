import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

export const PROMETHEUS = '/usr/bin/prometheus';

/** A scrape target: where, and the labels Prometheus adds to its series. */
export interface ScrapeTarget {
  address: string;
  labels: Record<string, string>;
}

export interface RunningPrometheus {
  url: string;
  /** Replaces what it scrapes (every second) and reloads it. */
  scrape(targets: ScrapeTarget[]): Promise<void>;
  /** Resolves once a query answers at least one series. */
  untilSeries(query: string): Promise<void>;
  close(): Promise<void>;
}


const config = (targets: ScrapeTarget[]): string =>
  JSON.stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [{ job_name: 'nodeports', static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })) }],
  });

/**
 * Debian's real Prometheus, as a child of the test: its own config and
 * storage in a temporary folder, on a loopback port, stopped by its pid.
 *
 * @example
 * const prom = await startPrometheus();
 * await prom.scrape([{ address: '10.213.7.11:30001', labels: { colour: 'green' } }]);
 */
export async function startPrometheus(): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-prometheus-'));
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, config([]));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${file}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-2000)));
  const close = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
  };
  const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    for (let waited = 0; !(await check().catch(() => false)); waited += 100) {
      if (waited > 30_000 || child.exitCode !== null) throw new Error(`prometheus: ${what} did not happen: ${log}`);
      await sleep(100);
    }
  };
  try {
    await until('ready', async () => (await fetch(`${url}/-/ready`)).ok);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url,
    async scrape(targets) {
      await writeFile(file, config(targets));
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!res.ok) throw new Error(`prometheus refused the reload: ${await res.text()}`);
    },
    untilSeries: (query) =>
      until(`a series for ${query}`, async () => {
        const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data: { result: unknown[] } };
        return body.data.result.length > 0;
      }),
    close,
  };
}

export const prometheusUnsupported = (): string | null => (existsSync(PROMETHEUS) ? null : `${PROMETHEUS} is not installed (Debian's prometheus package)`);

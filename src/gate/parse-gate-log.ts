import type { NodeSample } from './gate-figures.js';

/**
 * One line of the vhost's `switchyard_<app>` log format:
 * `sy1 $msec $status "$upstream_addr" "$upstream_status" "$upstream_response_time"`.
 */
const LINE = /^sy1 (\d+(?:\.\d+)?) (\d{3}) "([^"]*)" "([^"]*)" "([^"]*)"$/;

/** nginx joins upstream attempts with ", " (retries) and groups with " : " (an internal redirect). */
const attempts = (field: string): string[] => field.split(/, | : /).map((s) => s.trim());

/** The port of "127.0.0.1:30001" or "[::1]:30001"; undefined for "unix:/..." or "-". */
function portOf(address: string): number | undefined {
  const m = /:(\d+)$/.exec(address);
  return m && !address.startsWith('unix:') ? Number(m[1]) : undefined;
}

/**
 * Counts, in the tail of one node's gate log, the attempts nginx made to the
 * new colour's NodePort since `since`: each one a request to that colour,
 * an error when it answered 5xx or not at all (nginx logs 502 or "-"), and
 * its upstream response time where nginx measured one. Each attempt counts,
 * so a 5xx the new colour gave before nginx retried elsewhere is still
 * seen. Lines of other formats, and the first line of a tail that began
 * mid-file (cut), are skipped.
 *
 * @example
 * parseGateLog(tail, { node: 'node-1', port: 30001, since: switchedAt, cut: true })
 * // { node: 'node-1', requests: 412, errors: 3, latenciesMs: [2, 3, ...] }
 */
export function parseGateLog(text: string, options: { node: string; port: number; since: Date; cut: boolean }): NodeSample {
  const sample: NodeSample = { node: options.node, requests: 0, errors: 0, latenciesMs: [] };
  const lines = text.split('\n');
  if (options.cut) lines.shift();
  const since = options.since.getTime() / 1000;
  for (const line of lines) {
    const m = LINE.exec(line.trimEnd());
    if (!m || Number(m[1]) < since) continue;
    const addresses = attempts(m[3]!);
    const statuses = attempts(m[4]!);
    const times = attempts(m[5]!);
    addresses.forEach((address, i) => {
      if (portOf(address) !== options.port) return;
      sample.requests++;
      const status = Number(statuses[i]);
      if (!(status >= 100 && status < 500)) sample.errors++;
      const seconds = Number(times[i]);
      if (times[i] !== '-' && Number.isFinite(seconds)) sample.latenciesMs.push(seconds * 1000);
    });
  }
  return sample;
}

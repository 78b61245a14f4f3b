import type { FleetNode } from '../discovery/fleet-node.js';
import { asSwitchyardError } from '../errors/switchyard-error.js';
import type { SshPool } from '../fleet/ssh-pool.js';
import type { GateReading } from './evaluate-gate.js';
import { sumSamples } from './gate-figures.js';
import { parseGateLog } from './parse-gate-log.js';

/**
 * Prints the log's size, then at most its last $2 bytes: a bounded read
 * however big the log has grown. No sudo needed where the SSH user may read
 * the log (Debian: group adm).
 */
const TAIL_GATE_LOG = `[ -r "$1" ] || { echo "cannot read $1" >&2; exit 3; }
wc -c < "$1" && tail -c "$2" -- "$1"`;

/**
 * The new colour's figures since the switch from every node's own nginx:
 * the end of each node's gate log, over the agent's SSH connections, summed
 * across nodes. A node that cannot be read makes the whole reading
 * unreadable (naming it): figures without it could hide its errors.
 *
 * @example
 * const reading = await readNginxGate(pool, nodes, { log: '/var/log/nginx/switchyard-blog.access.log', port: 30001, since, readBytes: 1 << 20, now: new Date() });
 */
export async function readNginxGate(
  pool: SshPool,
  nodes: readonly FleetNode[],
  options: { log: string; port: number; since: Date; readBytes: number; now: Date; signal?: AbortSignal },
): Promise<GateReading> {
  const results = await pool.forEach(nodes, async (node) => {
    const res = await pool.exec(node, TAIL_GATE_LOG, [options.log, String(options.readBytes)], options.signal ? { signal: options.signal } : {});
    if (res.code !== 0) throw new Error(`${node.name}: ${res.stderr.trim() || `exit ${res.code}`}`);
    const newline = res.stdout.indexOf('\n');
    const size = Number(res.stdout.slice(0, newline));
    return parseGateLog(res.stdout.slice(newline + 1), { node: node.name, port: options.port, since: options.since, cut: size > options.readBytes });
  });
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [asSwitchyardError(r.reason).message] : []));
  if (failed.length > 0) return { kind: 'unreadable', at: options.now.toISOString(), message: `gate log unreadable: ${failed.join('; ')}` };
  return { kind: 'figures', figures: sumSamples(results.map((r) => (r as PromiseFulfilledResult<ReturnType<typeof parseGateLog>>).value), options.now) };
}

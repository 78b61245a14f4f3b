import type { Clock } from '../deploy/ports.js';
import type { SshPool } from '../fleet/ssh-pool.js';
import { colourPort } from '../validate/patterns.js';
import type { GatePort } from './gate-port.js';
import { defaultAccessLog } from './gate-schema.js';
import { readNginxGate } from './read-nginx-gate.js';
import { readPrometheusGate } from './read-prometheus-gate.js';

/**
 * The gate's sources behind one port: every node's nginx log over the
 * agent's SSH pool, or Prometheus, as each app's `gate.source` says.
 *
 * @example
 * const gate = createGatePort({ pool, clock: systemClock });
 */
export function createGatePort(deps: { pool: SshPool; clock: Clock }): GatePort {
  return {
    async read(nodes, app, what, signal) {
      const now = deps.clock.now();
      const gate = app.gate;
      if (!gate) return { kind: 'unreadable', at: now.toISOString(), message: `${app.name} has no gate` };
      const port = colourPort(app.portBase, what.colour);
      if (gate.source === 'prometheus') {
        return readPrometheusGate(gate.prometheus!, { app: app.name, colour: what.colour, port, version: what.version, since: what.since }, now, signal);
      }
      return readNginxGate(deps.pool, nodes, {
        log: gate.accessLog ?? defaultAccessLog(app.name),
        port,
        since: what.since,
        readBytes: gate.readBytes,
        now,
        ...(signal ? { signal } : {}),
      });
    },
  };
}

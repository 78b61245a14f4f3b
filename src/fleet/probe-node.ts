import { request } from 'node:http';
import type { FleetNode } from '../discovery/fleet-node.js';
import { COLOURS, type Colour, colourPort } from '../validate/patterns.js';

/** Where to send a request through a node's nginx to the app: the vhost (Host header), path and port. */
export interface ProbeTarget {
  host: string;
  path: string;
  port: number;
}

/**
 * The response header the app's vhost adds from `$upstream_addr` (see
 * nginx-templates/vhost.conf.hbs): the NodePort that answered says which
 * colour nginx really sends the app's traffic to.
 */
export const UPSTREAM_HEADER = 'x-switchyard-upstream';

export type ProbeResult =
  | { colour: Colour | null; upstream: string; status: number }
  | { error: string };

/**
 * Sends one GET through the node's nginx to the app, on a new connection
 * (a kept-alive one may still be served by a worker of the old generation),
 * and reads which colour's NodePort answered. Any status counts: a 502 from
 * a colour without pods still names the port nginx chose.
 *
 * @example
 * const r = await probeNode(node, { name: 'blog', portBase: 30000 }, { host: 'blog.example.com', path: '/', port: 80 });
 * if ('colour' in r) console.log(r.colour); // 'green'
 */
export function probeNode(node: FleetNode, app: { portBase: number }, target: ProbeTarget, timeoutMs = 5000): Promise<ProbeResult> {
  const where = `http://${node.address}:${target.port}${target.path} (Host ${target.host})`;
  return new Promise((resolve) => {
    const req = request({ host: node.address, port: target.port, path: target.path, headers: { host: target.host }, agent: false, timeout: timeoutMs }, (res) => {
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: `${where}: ${err.code ?? err.message}` }));
      res.resume().on('end', () => {
        const upstream = res.headers[UPSTREAM_HEADER];
        if (typeof upstream !== 'string') {
          resolve({ error: `${where} answered ${res.statusCode} without an X-Switchyard-Upstream header` });
        } else {
          resolve({ colour: colourOf(upstream, app.portBase), upstream, status: res.statusCode ?? 0 });
        }
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: `${where}: ${err.code ?? err.message}` }));
    req.end();
  });
}

/**
 * The colour of the NodePorts nginx tried, from `$upstream_addr`
 * (`127.0.0.1:30001`, or `a, b` when it retried, or the upstream's name when
 * it had no server to try); null unless every address is one colour's port.
 *
 * @example
 * colourOf('127.0.0.1:30001', 30000) // 'green'
 */
export function colourOf(upstream: string, portBase: number): Colour | null {
  // nginx separates the servers it tried with ", " and upstream groups with " : ".
  const addresses = upstream.split(/\s*,\s*|\s+:\s+/);
  const colours = new Set(addresses.map((a) => COLOURS.find((c) => a.endsWith(`:${colourPort(portBase, c)}`)) ?? null));
  return colours.size === 1 ? [...colours][0]! : null;
}

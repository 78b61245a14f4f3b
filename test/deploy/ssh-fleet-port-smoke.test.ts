import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshFleetPort } from '../../src/agent/ssh-fleet-port.js';
import type { Discovery } from '../../src/discovery/fleet-node.js';
import type { FleetSwitch } from '../../src/fleet/fleet-switch.js';
import type { Logger } from '../../src/log/logger.js';
import { appConfig } from './fixtures.js';

/** A NodePort stand-in on 127.0.0.1: blue answers 200 and a whole body; green cuts its body short. */
describe('sshFleetPort smoke', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('x');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // smoke only probes NodePorts: discovery, the switch and the log are never reached.
  const fleet = () => sshFleetPort({ discovery: {} as Discovery, switcher: {} as FleetSwitch, log: {} as Logger, smokeTimeoutMs: 2000 });
  const nodes = () => [{ name: 'node-a', address: '127.0.0.1', port: 22 }];

  it('passes when every node answers the status', async () => {
    await expect(fleet().smoke(nodes(), { ...appConfig(), portBase: port }, 'blue', { path: '/healthz', status: 200 })).resolves.toBeUndefined();
  });

  it('fails, naming the node, when a response is cut short, instead of never settling', async () => {
    const err = fleet().smoke(nodes(), { ...appConfig(), portBase: port }, 'blue', { path: '/cut', status: 200 });
    await expect(err).rejects.toMatchObject({ code: 'deploy-failed', message: expect.stringContaining('node-a answered ECONNRESET') });
  });
});

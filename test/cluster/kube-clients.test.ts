import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../src/cluster/kube-clients.js';
import { readColours } from '../../src/cluster/read-colours.js';
import { writeKubeconfig } from '../../src/sandbox/kube/kubeconfig.js';

describe('connectKube: API calls have a deadline', () => {
  // Accepts every request and never answers, as a hung API server (or a proxy in front of one) does.
  const received: string[] = [];
  const server = createServer((req: IncomingMessage) => void received.push(`${req.method} ${req.url}`));
  let dir: string;
  let kubeconfigPath: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'switchyard-kube-clients-'));
    kubeconfigPath = await writeKubeconfig(join(dir, 'kubeconfig'), { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('fails a call the server never answers, naming what it was reading', async () => {
    const kube = connectKube({ kubeconfigPath, requestTimeoutMs: 200 });
    await expect(readColours(kube, 'blog', 'web')).rejects.toMatchObject({
      code: 'kube-api-failed',
      message: expect.stringMatching(/^cannot read ReplicaSet web\/blog-(blue|green): the Kubernetes API did not answer in time$/),
      hint: expect.stringContaining('check its health'),
    });
    expect(received.sort()).toEqual(['GET /apis/apps/v1/namespaces/web/replicasets/blog-blue', 'GET /apis/apps/v1/namespaces/web/replicasets/blog-green']);
  });
});

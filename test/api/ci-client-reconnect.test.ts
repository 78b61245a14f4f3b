import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { CiClient, type CiEvent } from '../../src/sandbox/demo/ci-client.js';
import { bob } from '../support/deploy-story.js';
import { describeOnFleet } from '../support/fleet.js';
import { apiStories } from './api-story.js';

/**
 * A proxy in front of the API that cuts the first event stream off (the
 * socket destroyed, as a restarting agent or a proxy's idle cut would) once
 * it has passed `cutAfter` events, and records each events request's headers.
 */
async function cuttingProxy(target: string, cutAfter: number): Promise<{ url: string; eventRequests: IncomingHttpHeaders[]; server: Server }> {
  const eventRequests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    const streaming = req.url?.endsWith('/events') ?? false;
    if (streaming) eventRequests.push(req.headers);
    const cut = streaming && eventRequests.length === 1;
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      let passed = 0;
      answer.on('data', (chunk: Buffer) => {
        res.write(chunk);
        passed += chunk.toString().split('\n\n').length - 1;
        if (cut && passed >= cutAfter) {
          answer.destroy();
          res.socket?.destroy();
        }
      });
      answer.on('end', () => res.end());
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, eventRequests, server };
}

describeOnFleet('CI client (the README\'s CI step in TypeScript): an event stream cut off mid-deploy', () => {
  const stories = apiStories();

  it('picks the stream up again with Last-Event-ID, sees only newer snapshots, and exits 0 once the deploy is done', async () => {
    const s = await stories.given();
    const proxy = await cuttingProxy(s.api.url, 2);
    try {
      const ci = new CiClient(proxy.url, s.token);
      const started = await ci.startDeploy({ app: 'blog', version: '2.0.0', commit: '3f2a9c1', idempotencyKey: 'run-1-blog' });
      expect(started.status).toBe(202);
      const seen: CiEvent[] = [];
      const reconnects: { why: string; lastSeen: string | undefined }[] = [];
      const end = await ci.follow(
        String(started.answer.eventsUrl).replace(s.api.url, proxy.url),
        (e) => {
          seen.push(e);
          if (e.deploy.phase === 'verifying' && seen.filter((x) => x.deploy.phase === 'verifying').length === 1) void s.story.whenPromoted(bob);
        },
        AbortSignal.timeout(120_000),
        { reconnectMs: 50, onReconnect: (why) => reconnects.push({ why, lastSeen: seen.at(-1)?.id }) },
      );

      expect(end).toEqual({ phase: 'done', exitCode: 0, reason: 'the deploy ended done' });
      expect(reconnects).toEqual([{ why: expect.stringMatching(/^the stream broke: /), lastSeen: expect.any(String) }]);
      // The second request asked for what came after the last event the first delivered, and got only newer ones.
      expect(proxy.eventRequests).toHaveLength(2);
      expect(proxy.eventRequests[0]!['last-event-id']).toBeUndefined();
      expect(proxy.eventRequests[1]!['last-event-id']).toBe(reconnects[0]!.lastSeen);
      const revisions = seen.map((e) => Number(e.id.split('-')[1]));
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(new Set(revisions).size).toBe(revisions.length);
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  it('a refusal ends it at once with exit 1, as the README\'s step (curl -f) does', async () => {
    const s = await stories.given();
    const end = await new CiClient(s.api.url, 'not-a-token').follow(`${s.api.url}/api/v1/deploys/blog-00000000/events`, () => undefined, AbortSignal.timeout(30_000), {
      reconnectMs: 50,
      onReconnect: () => {
        throw new Error('a refusal must not be retried');
      },
    });
    expect(end).toMatchObject({ phase: undefined, exitCode: 1, reason: expect.stringMatching(/^the API answered 401: /) });
  });
});

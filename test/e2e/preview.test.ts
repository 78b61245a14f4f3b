import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import { alice, bob, deployStories } from '../support/deploy-story.js';
import { describeOnFleet } from '../support/fleet.js';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to a node's nginx as outside traffic sends it (Host: blog), on a new connection. */
function ask(node: TestNode, headers: Record<string, string> = {}, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: node.address, port: 80, path, agent: false, headers: { host: 'blog', ...headers }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body: body.trim(), headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`${node.name} did not answer within 5 s`))).on('error', reject).end();
  });
}

/** The body every node answers with, checked to be the same on all of them. */
async function everyNode(nodes: readonly TestNode[], headers: Record<string, string> = {}): Promise<string> {
  const answers = await Promise.all(nodes.map((n) => ask(n, headers)));
  const bodies = [...new Set(answers.map((a) => `${a.status} ${a.body}`))];
  expect(bodies, `every node answers alike to ${JSON.stringify(headers)}`).toHaveLength(1);
  return bodies[0]!;
}

const HEADER = 'X-Switchyard-Preview';
const COOKIE = 'switchyard_preview';

describeOnFleet('preview through the production nginx: a header or cookie reaches the new colour before the switch', () => {
  const stories = deployStories();

  it('reaches green by header or cookie on every node while live traffic stays on blue, and the switch leaves the preview routes as they were', async () => {
    // Given blue 1.0.0 live on three nodes whose vhosts route previews, and a deploy of 2.0.0 waiting for a promote.
    const story = await stories.given({ app: { preview: { url: 'http://blog' }, retainMinutes: 10 } });
    const { nodes } = story.env.fleet;
    const vhosts = await Promise.all(nodes.map((n) => readFile(join(n.dir, 'sites', 'blog.conf'), 'utf8')));
    expect(await everyNode(nodes)).toBe('200 blog 1.0.0');
    expect(await everyNode(nodes, { [HEADER]: 'blue' })).toBe('200 blog 1.0.0');
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');

    // Then the header and the cookie reach green; nothing else does.
    expect(await everyNode(nodes)).toBe('200 blog 1.0.0');
    expect(await everyNode(nodes, { [HEADER]: 'green' })).toBe('200 blog 2.0.0');
    expect(await everyNode(nodes, { cookie: `${COOKIE}=green` })).toBe('200 blog 2.0.0');
    expect(await everyNode(nodes, { cookie: `other=1; ${COOKIE}=green` })).toBe('200 blog 2.0.0');
    // The header wins over the cookie; an unknown value, in either, falls to the live colour.
    expect(await everyNode(nodes, { [HEADER]: 'blue', cookie: `${COOKIE}=green` })).toBe('200 blog 1.0.0');
    for (const unknown of ['red', 'greenish', ' green2', 'blue,green']) {
      expect(await everyNode(nodes, { [HEADER]: unknown })).toBe('200 blog 1.0.0');
      expect(await everyNode(nodes, { [HEADER]: unknown, cookie: `${COOKIE}=green` })).toBe('200 blog 1.0.0');
      expect(await everyNode(nodes, { cookie: `${COOKIE}=${encodeURIComponent(unknown)}` })).toBe('200 blog 1.0.0');
    }

    // Shared caches keep the two apart: every answer varies on the header, a preview is never stored.
    for (const node of nodes) {
      const live = await ask(node);
      expect(live.headers.vary).toBe(HEADER);
      expect(live.headers['cache-control']).toBeUndefined();
      for (const preview of [{ [HEADER]: 'green' }, { cookie: `${COOKIE}=green` }] as Record<string, string>[]) {
        const answer = await ask(node, preview);
        expect(answer.headers.vary).toBe(HEADER);
        expect(answer.headers['cache-control']).toBe('no-store, private');
      }
    }

    // The links set and clear the cookie with fixed values only, HttpOnly and short-lived, and go to the vhost's /.
    for (const node of nodes) {
      const on = await ask(node, {}, '/.switchyard/preview/green');
      expect(on.status).toBe(302);
      expect(on.headers['set-cookie']).toEqual([`${COOKIE}=green; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`]);
      expect(on.headers['cache-control']).toBe('no-store');
      expect(on.headers.location).toBe('http://blog/');
      const off = await ask(node, {}, '/.switchyard/preview/off');
      expect(off.headers['set-cookie']).toEqual([`${COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`]);
      // Any other path is the app's: no cookie, and the live colour answers.
      const other = await ask(node, {}, `/.switchyard/preview/${encodeURIComponent('green; Domain=evil.example')}`);
      expect(other.headers['set-cookie']).toBeUndefined();
    }

    // The deploy's snapshot (Slack, API, dashboard) says how to preview through production.
    const [snapshot] = story.agent.service.feed.current({ app: 'blog' });
    expect(snapshot?.productionPreview).toEqual({
      header: `${HEADER}: green`,
      link: 'http://blog/.switchyard/preview/green',
      off: 'http://blog/.switchyard/preview/off',
      cookieMaxAgeSeconds: 3600,
    });

    // When bob promotes, green is live for everyone, and a preview of blue still reaches the retained old colour.
    await story.whenPromoted(bob);
    expect((await story.untilFinished()).phase).toBe('done');
    expect(await everyNode(nodes)).toBe('200 blog 2.0.0');
    expect(await everyNode(nodes, { [HEADER]: 'red' })).toBe('200 blog 2.0.0');
    expect(await everyNode(nodes, { [HEADER]: 'green' })).toBe('200 blog 2.0.0');
    expect(await everyNode(nodes, { [HEADER]: 'blue' })).toBe('200 blog 1.0.0');
    expect(await everyNode(nodes, { cookie: `${COOKIE}=blue` })).toBe('200 blog 1.0.0');
    // The switch changed the app's upstream file only: every vhost, with its preview upstreams, is byte for byte as before.
    expect(await Promise.all(nodes.map((n) => readFile(join(n.dir, 'sites', 'blog.conf'), 'utf8')))).toEqual(vhosts);
  });
});

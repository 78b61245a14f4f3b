import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPLAYED_HEADER } from '../../src/api/deploy-handlers.js';
import type { DeployRecord } from '../../src/state/app-state.js';
import { untilAppState } from '../support/app-state-in-store.js';
import { alice } from '../support/deploy-story.js';
import { describeOnFleet } from '../support/fleet.js';
import { ApiStory, type Answer } from './api-story.js';

/**
 * Sends a request's head and part of its body on a raw connection and never
 * finishes the body; answers what the server sent until it closed the
 * connection. A server that waited for the whole body would never answer.
 */
function unfinishedRequest(url: string, head: string, body: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => socket.write(`${head}\r\n\r\n${body}`));
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject).on('close', () => resolve(answer));
  });
}

describeOnFleet('HTTP API: every refusal answers the right status and body, and changes nothing in the cluster', () => {
  let s: ApiStory;
  beforeAll(async () => {
    // Held CI deploys: one in flight creates nothing, so "nothing changed" is exact.
    s = await ApiStory.start({ app: { requireStart: true } });
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Everything a request could change: every object's version in the stand-in cluster. */
  const clusterVersion = () => s.env.kube.store.resourceVersion;
  const replicaSets = () => s.env.kube.store.list('replicasets', 'blog').items.map((rs) => `${rs.metadata.name} ${rs.metadata.labels?.['switchyard/version']}`);
  const deploy = { app: 'blog', version: '2.0.0' };
  const error = (a: Answer) => a.body.error as { code: string; message: string; hint?: string };

  it.each([
    {
      name: 'no token',
      call: () => s.call('POST', '/api/v1/deploys', { json: deploy, token: null }),
      status: 401,
      error: { code: 'unauthenticated', message: 'this needs a CI token', hint: 'send it as Authorization: Bearer <token> (a token in the URL is not accepted)' },
    },
    {
      name: 'a wrong token of the same length',
      call: () => s.call('POST', '/api/v1/deploys', { json: deploy, token: `${s.token.slice(0, -1)}${s.token.endsWith('0') ? '1' : '0'}` }),
      status: 401,
      error: { code: 'unauthenticated', message: 'the token is not valid' },
    },
    {
      name: 'a wrong token of another length (a prefix of the right one)',
      call: () => s.call('POST', '/api/v1/deploys', { json: deploy, token: s.token.slice(0, 20) }),
      status: 401,
      error: { code: 'unauthenticated', message: 'the token is not valid' },
    },
    {
      name: 'another scheme than Bearer',
      call: () => s.call('GET', '/api/v1/apps/blog', { token: null, headers: { authorization: `Basic ${Buffer.from(`ci:${s.token}`).toString('base64')}` } }),
      status: 401,
      error: { code: 'unauthenticated', message: 'this needs a CI token' },
    },
    {
      name: 'the token in the query string',
      call: () => s.call('POST', `/api/v1/deploys?access_token=${s.token}&token=${s.token}`, { json: deploy, token: null }),
      status: 401,
      error: { code: 'unauthenticated', message: 'this needs a CI token' },
    },
    {
      name: 'an unknown path under /api/ without a token (no path is given away)',
      call: () => s.call('GET', '/api/v2/secrets', { token: null }),
      status: 401,
      error: { code: 'unauthenticated' },
    },
    {
      name: 'an unknown path',
      call: () => s.call('GET', '/api/v1/deployments'),
      status: 404,
      error: { code: 'route-unknown', message: 'no such path: /api/v1/deployments' },
    },
    {
      name: 'an unknown path outside the API',
      call: () => s.call('GET', '/admin', { token: null }),
      status: 404,
      error: { code: 'route-unknown', message: 'no such path: /admin' },
    },
    {
      name: 'GET on the deploys collection',
      call: () => s.call('GET', '/api/v1/deploys'),
      status: 405,
      headers: { allow: 'POST' },
      error: { code: 'method-not-allowed', message: '/api/v1/deploys takes POST, not GET' },
    },
    {
      name: 'DELETE of a deploy',
      call: () => s.call('DELETE', '/api/v1/deploys/blog-1a2b3c4d'),
      status: 405,
      headers: { allow: 'GET' },
      error: { code: 'method-not-allowed' },
    },
    {
      name: 'malformed JSON',
      call: () => s.call('POST', '/api/v1/deploys', { body: '{"app": "blog", "version": ', headers: { 'content-type': 'application/json' } }),
      status: 400,
      error: { code: 'input-invalid', message: 'the body is not valid JSON' },
    },
    {
      name: 'a JSON array for a body',
      call: () => s.call('POST', '/api/v1/deploys', { json: [deploy] }),
      status: 400,
      error: { code: 'input-invalid', message: expect.stringMatching(/^invalid deploy request: body: .*expected object/) },
    },
    {
      name: 'a number for the version',
      call: () => s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: 2 } }),
      status: 400,
      error: { code: 'input-invalid', message: expect.stringMatching(/^invalid deploy request: version: .*expected string, received number/) },
    },
    {
      name: 'an unknown field',
      call: () => s.call('POST', '/api/v1/deploys', { json: { ...deploy, skipVerify: true } }),
      status: 400,
      error: { code: 'input-invalid', message: expect.stringMatching(/^invalid deploy request: body: .*"skipVerify"/) },
    },
    {
      name: 'a commit that is not a git commit',
      call: () => s.call('POST', '/api/v1/deploys', { json: { ...deploy, commit: 'main; reboot' } }),
      status: 400,
      error: { code: 'input-invalid', message: 'invalid deploy request: commit: 7 to 40 lower-case hexadecimal digits (a git commit)' },
    },
    {
      name: 'a requestedBy with a line break and Slack markup',
      call: () => s.call('POST', '/api/v1/deploys', { json: { ...deploy, requestedBy: 'ci\n<!channel>' } }),
      status: 400,
      error: { code: 'input-invalid', message: 'invalid deploy request: requestedBy: 1 to 64 printable characters, without < > &' },
    },
    {
      name: 'an Idempotency-Key of 256 characters',
      call: () => s.call('POST', '/api/v1/deploys', { json: deploy, headers: { 'idempotency-key': 'k'.repeat(256) } }),
      status: 400,
      error: { code: 'input-invalid', message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
    },
    {
      name: 'a form instead of JSON',
      call: () => s.call('POST', '/api/v1/deploys', { body: 'app=blog&version=2.0.0', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      status: 415,
      error: { code: 'unsupported-media-type', message: 'the body must be JSON, not "application/x-www-form-urlencoded"', hint: 'send Content-Type: application/json' },
    },
    {
      name: 'a body over 16 KiB',
      call: () => s.call('POST', '/api/v1/deploys', { json: { ...deploy, requestedBy: 'x'.repeat(20_000) } }),
      status: 413,
      headers: { connection: 'close' },
      error: { code: 'payload-too-large', message: 'the body is larger than 16384 bytes' },
    },
    {
      name: 'a version with shell metacharacters',
      call: () => s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '2.0.0;reboot' } }),
      status: 400,
      error: { code: 'input-invalid', message: 'invalid version "2.0.0;reboot"' },
    },
    {
      name: 'an unknown app',
      call: () => s.call('POST', '/api/v1/deploys', { json: { app: 'shop', version: '2.0.0' } }),
      status: 404,
      error: { code: 'app-unknown', message: 'unknown app "shop"', hint: 'known apps: blog' },
    },
    {
      name: 'the state of an unknown app',
      call: () => s.call('GET', '/api/v1/apps/shop'),
      status: 404,
      error: { code: 'app-unknown', message: 'unknown app "shop"' },
    },
    {
      name: 'an unknown deploy',
      call: () => s.call('GET', '/api/v1/deploys/blog-0badf00d'),
      status: 404,
      error: { code: 'deploy-unknown', message: 'no deploy blog-0badf00d' },
    },
    {
      name: 'the events of an unknown deploy',
      call: () => s.call('GET', '/api/v1/deploys/shop-0badf00d/events'),
      status: 404,
      error: { code: 'deploy-unknown', message: 'no deploy shop-0badf00d' },
    },
  ])('$name: $status', async ({ call, status, error: expected, headers }) => {
    const before = clusterVersion();
    const answer = await call();
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(error(answer)).toMatchObject(expected);
    if (status === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="switchyard"');
    for (const [name, value] of Object.entries(headers ?? {})) expect(answer.headers.get(name)).toBe(value);
    expect(JSON.stringify(answer.body)).not.toMatch(/\bat .*\.ts:\d+/);
    expect(clusterVersion()).toBe(before);
    expect(replicaSets()).toEqual(['blog-blue 1.0.0']);
  });

  it('413 for a declared length over the limit, answered before any of the body is sent', async () => {
    const before = clusterVersion();
    const head = [
      'POST /api/v1/deploys HTTP/1.1',
      'Host: switchyard',
      `Authorization: Bearer ${s.token}`,
      'Content-Type: application/json',
      `Content-Length: ${64 * 1024 * 1024}`,
    ].join('\r\n');
    const answer = await unfinishedRequest(s.api.url, head, '');
    expect(answer).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('"code":"payload-too-large"');
    expect(clusterVersion()).toBe(before);
  });

  it('413 for a chunked body as soon as it passes the limit, without waiting for its end', async () => {
    const before = clusterVersion();
    const head = ['POST /api/v1/deploys HTTP/1.1', 'Host: switchyard', `Authorization: Bearer ${s.token}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked'].join('\r\n');
    // 32 KiB in 4 KiB chunks, and never the last (empty) chunk.
    const chunks = Array.from({ length: 8 }, () => `1000\r\n${' '.repeat(4096)}\r\n`).join('');
    const answer = await unfinishedRequest(s.api.url, head, chunks);
    expect(answer).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(answer).toContain('"code":"payload-too-large"');
    expect(clusterVersion()).toBe(before);
  });

  it('answers a retried request with the same deploy, refuses its key for another version (422) and a second deploy while one is in flight (409)', async () => {
    const headers = { 'idempotency-key': 'pipeline-8812-blog' };
    const first = await s.call('POST', '/api/v1/deploys', { json: { ...deploy, commit: '3f2a9c1' }, headers });
    expect(first.status).toBe(202);
    const id = first.body.id as string;
    expect(first.body).toEqual({ id, app: 'blog', version: '2.0.0', held: true, url: `${s.api.url}/api/v1/deploys/${id}`, eventsUrl: `${s.api.url}/api/v1/deploys/${id}/events` });
    expect(first.headers.get('location')).toBe(first.body.url);
    expect(first.headers.get(REPLAYED_HEADER)).toBeNull();
    const held = s.story.state().inFlight!;
    expect(held).toMatchObject({ id, phase: 'pending', hold: true, commit: '3f2a9c1', requestedBy: { via: 'ci', id: 'ci', name: 'ci' } });
    const inFlight = (): DeployRecord | null => s.story.state().inFlight;

    // The same request again (CI retried it): the same deploy, the same body, said to be a replay.
    const again = await s.call('POST', '/api/v1/deploys', { json: { ...deploy, commit: '3f2a9c1' }, headers });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get(REPLAYED_HEADER)).toBe('true');

    // The key reused for another version.
    const conflict = await s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '3.0.0' }, headers });
    expect(conflict.status).toBe(422);
    expect(error(conflict)).toEqual({ code: 'idempotency-conflict', message: `Idempotency-Key pipeline-8812-blog was used for blog 2.0.0 (${id}), not 3.0.0`, hint: 'use a new key for a new request' });

    // Another CI system deploys the busy app: refused, naming the deploy that holds it.
    const busy = await s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '3.0.0', requestedBy: 'release train' }, token: s.otherToken });
    expect(busy.status).toBe(409);
    expect(error(busy)).toMatchObject({ code: 'lock-held', message: expect.stringContaining(`for deploy ${id} (2.0.0, asked by ci (ci)), now pending`) });

    // None of them changed the deploy in flight or created anything.
    expect(inFlight()).toEqual(held);
    expect(replicaSets()).toEqual(['blog-blue 1.0.0']);

    // Its record, and the app's, as CI reads them.
    const record = await s.call('GET', `/api/v1/deploys/${id}`);
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({ id, phase: 'pending', held: true, commit: '3f2a9c1', url: first.body.url, eventsUrl: first.body.eventsUrl });
    expect(record.body).not.toHaveProperty('idempotencyKey');
    const app = await s.call('GET', '/api/v1/apps/blog');
    expect(app.body).toMatchObject({ app: 'blog', live: null, previous: null, inFlight: { id, phase: 'pending' }, lastFinished: null });

    await s.story.agent.service.abort('blog', alice);
    await untilAppState(s.env.kube, (st) => st.inFlight === null, 'the held deploy to be aborted');
    expect((await s.call('GET', `/api/v1/deploys/${id}`)).body).toMatchObject({ phase: 'aborted', abortedBy: alice });
    expect(replicaSets()).toEqual(['blog-blue 1.0.0']);
  });
});

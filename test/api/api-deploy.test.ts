import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { createAgent } from '../../src/agent/create-agent.js';
import { apiFrontEnd } from '../../src/api/api-front-end.js';
import { Metrics } from '../../src/api/metrics.js';
import { STATE_KEY } from '../../src/cluster/app-state-store.js';
import { stateConfigMapName } from '../../src/cluster/colour-names.js';
import { loadSecrets } from '../../src/config/load-secrets.js';
import { silentLogger } from '../../src/log/logger.js';
import type { AppState } from '../../src/state/app-state.js';
import { bob } from '../support/deploy-story.js';
import { describeOnFleet } from '../support/fleet.js';
import { apiStories, type SseEvent } from './api-story.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ORDER = ['pending', 'discovering', 'creating', 'waiting', 'verifying', 'switching', 'draining', 'retiring', 'done'];

/** The event id's revision (`<bootId>-<revision>`). */
const revision = (e: SseEvent) => Number(e.id.split('-')[1]);

/** The phases a stream showed, each once, in the order it showed them. */
const phasesOf = (events: SseEvent[]) => events.map((e) => e.data.deploy.phase as string).filter((p, i, all) => p !== all[i - 1]);

/** The CI step exactly as the README gives it. */
async function readmeCiStep(): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### A CI step'));
  const script = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (!script) throw new Error('README.md has no bash block under "### A CI step"');
  return script;
}

function runBash(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject).on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describeOnFleet('HTTP API: deploys started and followed by CI', () => {
  const stories = apiStories();

  it('POST, events to verifying, promote, events end with done; a reconnect with Last-Event-ID gets only newer snapshots; reads and metrics show the result', async () => {
    const s = await stories.given();
    const node = s.env.fleet.nodes[0]!;
    const post = await s.call('POST', '/api/v1/deploys', {
      json: { app: 'blog', version: '2.0.0', commit: '3f2a9c1d', requestedBy: 'github-actions' },
      headers: { 'idempotency-key': 'run-1-blog' },
    });
    expect(post.status).toBe(202);
    const id = post.body.id as string;
    expect(post.body).toMatchObject({ app: 'blog', version: '2.0.0', held: false });

    // CI follows the deploy until it waits for people, with green's preview URL to look at.
    const events = await s.events(post.body.eventsUrl);
    expect(events.contentType).toBe('text/event-stream; charset=utf-8');
    const verifying = await events.until((e) => e.data.deploy.phase === 'verifying' && e.data.previewUrls.length > 0, 'verifying with preview URLs');
    expect(verifying.data).toMatchObject({
      app: 'blog',
      deploy: { id, version: '2.0.0', commit: '3f2a9c1d', held: false, toColour: 'green', requestedBy: { via: 'ci', id: 'ci', name: 'github-actions' } },
      progress: { pods: { colour: 'green', ready: 2, desired: 2 } },
      previewUrls: [`http://${node.address}:30001/`],
    });

    // A client that lost its stream here comes back with the last id it saw; one of an earlier agent run gets the current snapshot.
    const seen = events.events.at(-1)!;
    const resumed = await s.events(post.body.eventsUrl, seen.id);
    const otherRun = await s.events(post.body.eventsUrl, '0bad0bad-12');
    expect((await otherRun.until(() => true, 'the current snapshot')).data.deploy.phase).toBe('verifying');

    await s.story.whenPromoted(bob);
    const all = await events.ended;
    const after = await resumed.ended;
    await otherRun.ended;

    // The stream ended with the final snapshot, having shown the phases in order and the nodes switching.
    expect(all.at(-1)!.data.deploy).toMatchObject({ id, phase: 'done', promotedBy: bob, switched: { nodes: 1 } });
    const phases = phasesOf(all);
    expect(phases).toEqual(ORDER.filter((p) => phases.includes(p)));
    expect(phases).toEqual(expect.arrayContaining(['verifying', 'done']));
    expect(all.some((e) => e.data.progress.nodes?.switched === 1 && e.data.progress.nodes?.total === 1)).toBe(true);
    // The reconnected stream: only what came after the last id seen, to the same end.
    expect(after.length).toBeGreaterThan(0);
    for (const e of after) expect(revision(e)).toBeGreaterThan(revision(seen));
    expect(after.at(-1)).toEqual(all.at(-1));

    // What CI reads afterwards.
    const record = await s.call('GET', `/api/v1/deploys/${id}`);
    expect(record.body).toMatchObject({ id, phase: 'done', fromColour: 'blue', toColour: 'green', promotedBy: bob, url: post.body.url, eventsUrl: post.body.eventsUrl });
    expect(record.body.transitions.map((t: { phase: string }) => t.phase)).toEqual(expect.arrayContaining(['pending', 'verifying', 'done']));
    const app = await s.call('GET', '/api/v1/apps/blog');
    expect(app.body).toEqual({
      app: 'blog',
      live: { colour: 'green', version: '2.0.0' },
      previous: { colour: 'blue', version: '1.0.0' },
      inFlight: null,
      lastFinished: expect.objectContaining({ id, phase: 'done', url: post.body.url }),
      freeze: null,
    });
    // The events of a finished deploy: its final snapshot, and the end.
    expect((await (await s.events(post.body.eventsUrl)).ended).map((e) => e.data.deploy.phase)).toEqual(['done']);

    // The metrics count it once, with its phases, its switch and its mixed window.
    s.metrics.slackApiError('chat.update', 'ratelimited');
    const metric = async (line: RegExp) => ((await s.call('GET', '/metrics', { token: null })).body as string).split('\n').find((l) => line.test(l));
    await expect.poll(() => metric(/^switchyard_deploys_total\{/)).toBe('switchyard_deploys_total{app="blog",kind="deploy",result="done"} 1');
    expect(await metric(/^switchyard_nodes_switched_total\{/)).toBe('switchyard_nodes_switched_total{app="blog"} 1');
    expect(await metric(/^switchyard_deploy_phase_seconds_count\{app="blog",phase="verifying"\}/)).toBe('switchyard_deploy_phase_seconds_count{app="blog",phase="verifying"} 1');
    expect(await metric(/^switchyard_switch_mixed_window_seconds_count\{/)).toBe('switchyard_switch_mixed_window_seconds_count{app="blog"} 1');
    expect(await metric(/^switchyard_slack_api_errors_total\{/)).toBe('switchyard_slack_api_errors_total{method="chat.update",error="ratelimited"} 1');
    expect(await metric(/^process_resident_memory_bytes /)).toBeDefined();
    // A retry of the first request, after the end: the same deploy, nothing new, and no second count.
    const retry = await s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '2.0.0', commit: '3f2a9c1d', requestedBy: 'github-actions' }, headers: { 'idempotency-key': 'run-1-blog' } });
    expect(retry.body).toEqual(post.body);
    expect(s.story.state().inFlight).toBeNull();
    expect(await metric(/^switchyard_deploys_total\{/)).toBe('switchyard_deploys_total{app="blog",kind="deploy",result="done"} 1');
  });

  it('a restarted agent streams a deploy that finished long ago as its record alone, whatever Last-Event-ID says', async () => {
    const s = await stories.given();
    const post = await s.call('POST', '/api/v1/deploys', { json: { app: 'blog', version: '2.0.0' } });
    const events = await s.events(post.body.eventsUrl);
    await events.untilPhase('verifying');
    await s.story.whenPromoted(bob);
    const last = (await events.ended).at(-1)!;
    // Given: it finished two hours ago (older than anything a new agent's feed follows).
    s.env.kube.store.mutate('configmaps', 'blog', stateConfigMapName('blog'), (cm) => {
      const data = cm.data as Record<string, string>;
      const state = JSON.parse(data[STATE_KEY]!) as AppState;
      state.history[0]!.finishedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
      data[STATE_KEY] = JSON.stringify(state);
    });

    const agent = await createAgent(s.env.config, { log: silentLogger, ec2: s.env.ec2Options });
    const secrets = loadSecrets(s.env.config, { SWITCHYARD_API_TOKENS: `ci:${s.token}` });
    // A second agent, not leading: reads are served by any agent.
    const follower = { view: { leading: false, leader: null, retryAfterSeconds: 1 } };
    const api = apiFrontEnd(agent, { config: s.env.config, secrets, log: silentLogger, metrics: new Metrics(), leadership: follower });
    await api.start();
    try {
      for (const lastEventId of [undefined, last.id]) {
        const res = await fetch(post.body.eventsUrl.replace(s.api.url, api.url), {
          headers: { authorization: `Bearer ${s.token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
        });
        const text = await res.text();
        expect(text).toMatch(/^id: [0-9a-f]{8}-0\ndata: \{.*"phase":"done".*\}\n\n$/);
        expect(text.split('\n')[0]).not.toBe(`id: ${last.id}`);
      }
    } finally {
      await api.stop();
      await agent.close();
    }
  });

  it('/healthz answers while the process runs; /readyz is 503 with the reason while the cluster fails, 200 again after', async () => {
    const s = await stories.given();
    expect(await s.call('GET', '/healthz', { token: null })).toMatchObject({ status: 200, body: { alive: true } });
    // The only agent leads, and says so.
    const leader = { identity: s.story.agent.identity, instance: s.story.agent.instance };
    expect(await s.call('GET', '/readyz', { token: null })).toMatchObject({ status: 200, body: { ready: true, leading: true, leader } });

    s.env.kube.faults.add({ verb: 'get', resource: 'configmaps', namespace: 'blog', status: 500, times: 1000 });
    const down = await s.call('GET', '/readyz', { token: null });
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ ready: false, reason: expect.stringMatching(/^blog: .*switchyard-blog.*/), leading: true, leader });
    // Being alive does not depend on the cluster.
    expect((await s.call('GET', '/healthz', { token: null })).status).toBe(200);

    s.env.kube.faults.clear();
    expect(await s.call('GET', '/readyz', { token: null })).toMatchObject({ status: 200, body: { ready: true } });
    expect(s.env.kube.unserved).toEqual([]);
  });

  it("the README's CI step: exit 0 once the deploy is done, 0 again for a retried run, 1 when the deploy is aborted", async () => {
    const s = await stories.given();
    const script = await readmeCiStep();
    const ci = (version: string, runId: string) =>
      runBash(script, { SWITCHYARD_URL: s.api.url, SWITCHYARD_TOKEN: s.token, APP: 'blog', VERSION: version, COMMIT: '3f2a9c1d4e5b', RUN_ID: runId });

    const first = ci('2.0.0', '8812');
    await s.story.untilPhase('verifying');
    await s.story.whenPromoted(bob);
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    const lines = done.stdout.trim().split('\n');
    const id = s.story.state().history[0]!.id;
    expect(lines[0]).toBe(`${id}: ${s.api.url}/api/v1/deploys/${id}`);
    expect(lines.slice(1)).toEqual(ORDER.filter((p) => lines.includes(p)));
    expect(lines.at(-1)).toBe('done');

    // The same CI run retried: the same deploy, already done.
    const retried = await ci('2.0.0', '8812');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.trim().split('\n')).toEqual([lines[0], 'done']);

    const second = ci('3.0.0', '8813');
    await s.story.untilPhase('verifying');
    await s.story.whenAborted(bob);
    const aborted = await second;
    expect(aborted.code).toBe(1);
    expect(aborted.stdout.trim().split('\n').at(-1)).toBe('aborted');

    // A refused request: exit non-zero with the API's answer on stderr.
    const refused = await ci('3.0.0;reboot', '8814');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('"code":"input-invalid"');
  });
});

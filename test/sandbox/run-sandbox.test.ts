import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { run } from '../../src/cli/main.js';
import { runSandbox } from '../../src/sandbox/demo/run-sandbox.js';
import { isAlive } from '../../src/sandbox/demo/sandbox-leftovers.js';
import { describeOnFleet } from '../support/fleet.js';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const pidsIn = (namespace: string): number[] => ip('netns', 'pids', namespace).split('\n').filter(Boolean).map(Number);

/** What of a sandbox whose nodes were these namespaces is still on the machine. */
async function remains(namespaces: string[], pids: number[], dirs: string[]): Promise<string[]> {
  const left: string[] = [];
  const listed = ip('netns', 'list');
  const links = ip('-o', 'link');
  for (const ns of namespaces) {
    if (listed.includes(ns)) left.push(`namespace ${ns}`);
    // TestFleet names a node sy-<id>-<i>, its bridge sy<id>br and its veth ends sy<id>h<i>.
    const id = ns.split('-')[1]!;
    if (links.includes(`sy${id}br`) || links.includes(`sy${id}h`)) left.push(`bridge or veth of ${ns}`);
  }
  for (const pid of pids) if (await isAlive(pid)) left.push(`process ${pid}`);
  for (const dir of dirs) if (existsSync(dir)) left.push(`folder ${dir}`);
  return [...new Set(left)];
}

/** Whether anything still accepts connections at the URL's host and port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(true))).once('error', () => resolve(false));
  });
}

/** A message transcript as the sandbox prints it: each version's origin and text, and the thread. */
function transcript(section: string): { versions: Array<{ n: number; by: string; text: string }>; thread: string } {
  const [body, thread = ''] = section.split(/^ {2}thread/m);
  const versions = body!.split(/^ {2}version /m).slice(1).map((chunk) => {
    const [, n, by] = /^(\d+) \(([a-zA-Z.]+)\):\n/.exec(chunk)!;
    return { n: Number(n), by: by!, text: chunk.slice(chunk.indexOf('\n') + 1) };
  });
  return { versions, thread };
}

/** Index of the first version showing each text, each after the one before; -1 where the order breaks. */
function inOrder(versions: Array<{ text: string }>, texts: string[]): number[] {
  let from = 0;
  return texts.map((t) => {
    const i = versions.findIndex((v, k) => k >= from && v.text.includes(t));
    from = i < 0 ? versions.length : i;
    return i;
  });
}

describeOnFleet('switchyard sandbox on real nodes', () => {
  it('serves the agent with Slack and the API: CI deploys blog 2.0.0 held, alice starts, bob promotes, carol rolls back, under load, and everything is removed', async () => {
    let out = '';
    let err = '';
    const code = await runSandbox({
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
      promoteAfterMs: 200,
    });
    expect(err).not.toMatch(/error/);
    expect(code).toBe(EXIT.ok);

    const section = (heading: string): string => out.slice(out.indexOf(heading)).split('\n\n')[0]!;
    expect(out).toMatch(/Nodes, found through EC2 by tag \(Role=k8s-node, Cluster=sandbox/);
    expect(out.match(/^ {2}node-\d {2}10\.213\.\d+\.1\d {2}i-0a11ce0\d .* ssh ok \(host key checked\) {2}nginx: blue live$/gm)).toHaveLength(3);
    expect(out).toMatch(/blue on NodePort 30000 \(2\/2 pods Ready at 1\.0\.0, live\), green on NodePort 30001 \(none yet\)/);
    for (const [heading, version] of [['Responses before', '1.0.0'], ['Responses after the deploy', '2.0.0'], ['Responses after the rollback', '1.0.0']] as const) {
      const answers = section(heading).match(/^ {2}node-\d 10\.213\.\d+\.1\d -> .*$/gm) ?? [];
      expect(answers, heading).toHaveLength(3);
      for (const a of answers) expect(a, heading).toMatch(new RegExp(` -> blog ${version.replaceAll('.', '\\.')}$`));
    }

    // The agent as serve builds it: both front ends, the roles, and blog held for a Start.
    const served = section('The agent, built and served as `switchyard serve` does');
    const apiUrl = /HTTP API for CI on (http:\/\/127\.0\.0\.1:\d+)/.exec(served)![1]!;
    const slackUrl = /Slack app over Socket Mode, connected to the Slack stand-in at (http:\/\/127\.0\.0\.1:\d+\/api\/)/.exec(served)![1]!;
    expect(served).toContain('roles: deploy alice, @web-team (alice, bob); approve bob; rollback @oncall (carol)');
    expect(served).toContain('blog has requireStart');

    // CI's request, the 202, the deploy held until alice's Start, then promoted by bob after his confirmation.
    const deploy = section('Deploy blog 2.0.0 as CI does');
    expect(deploy).toContain(`CI → POST ${apiUrl}/api/v1/deploys`);
    expect(deploy).toMatch(/^ {7}Authorization: Bearer [0-9a-f]{6}…$/m);
    expect(deploy).toMatch(/^ {7}Idempotency-Key: sandbox-[0-9a-f]{8}-blog$/m);
    expect(deploy).toContain('{"app":"blog","version":"2.0.0","commit":"3f2a9c1"}');
    const id = /CI ← 202 \{"id":"(blog-[0-9a-f]{8})","app":"blog","version":"2\.0\.0","held":true,/.exec(deploy)![1]!;
    expect(deploy).toContain(`CI sees ${id} pending (held: waits for Start in Slack)`);
    expect(deploy).toContain('held in pending: nothing is created until someone presses Start (no blog-green yet); the message in #deploys offers [Start] [Reject]');
    const started = deploy.indexOf('  alice clicks [Start] on the message in #deploys (Socket Mode)');
    expect(started).toBeGreaterThan(deploy.indexOf('held in pending'));
    expect(deploy.search(/pending → discovering .* by alice \(slack\) {2}started/)).toBeGreaterThan(started);
    for (const phase of ['discovering → creating', 'creating → waiting', 'waiting → verifying', 'verifying → switching', 'switching → draining', 'draining → retiring', 'retiring → done']) {
      expect(deploy).toContain(phase);
    }
    expect(deploy.match(/^ {4}http:\/\/10\.213\.\d+\.1\d:30001\/ -> blog 2\.0\.0$/gm)).toHaveLength(3);
    expect(deploy).toContain('  bob clicks [Promote] on the message in #deploys (Socket Mode); Slack first asks:\n    Promote?: Switch 3 nodes of blog from blue 1.0.0 to green 2.0.0.  [Switch traffic] [Cancel]\n    bob confirms');
    expect(deploy).toMatch(/verifying → switching .* by bobby \(slack\) {2}promoted/);
    expect(deploy).toMatch(/nodes 3\/3 switched to green, mixed window \d+ ms/);
    // CI's view: snapshots are latest-wins, so it may miss a phase, never the order or the end.
    const ciPhases = [...deploy.matchAll(/^ {2}CI sees blog-[0-9a-f]{8} (\S+)/gm)].map((m) => m[1]!);
    expect(ciPhases[0]).toBe('pending');
    expect(ciPhases.at(-1)).toBe('done');
    expect(ciPhases).toContain('verifying');
    expect(deploy).toMatch(/^ {2}CI: the deploy ended done; the step exits 0$/m);
    expect(deploy).toMatch(/load during the deploy: [1-9]\d* requests .*, 0 failed \(.*answered blog 2\.0\.0/);

    // The deploy's one message, post and every edit in order, and the thread telling who did what.
    const message = transcript(section("The deploy's message in #deploys"));
    expect(message.versions.map((v) => v.n)).toEqual(message.versions.map((_, i) => i + 1));
    expect(message.versions.map((v) => v.by)).toEqual(['chat.postMessage', ...message.versions.slice(1).map(() => 'chat.update')]);
    expect(message.versions[0]!.text).toMatch(new RegExp(`Deploy of blog: .* → green 2\\.0\\.0 · waiting for someone to Start it\\n {4}asked by ci \\(ci\\) · commit \`3f2a9c1\` · ${id}\\n {4}\\[Start\\] \\[Reject\\]`));
    const order = inOrder(message.versions, ['waiting for someone to Start it', 'started by alice (slack)', 'ready: waiting for Promote or Abort', 'promoted by bobby (slack)', 'done: green 2.0.0 is live']);
    expect(order.every((i) => i >= 0), `phases in the message versions: ${order}`).toBe(true);
    const ready = message.versions[order[2]!]!.text;
    expect(ready).toContain('[Promote] [Abort]');
    expect(ready.match(/http:\/\/10\.213\.\d+\.1\d:30001\//g)).toHaveLength(3);
    expect(message.versions.at(-1)!.text).toMatch(/done: green 2\.0\.0 is live\n.*promoted by bobby \(slack\)[\s\S]*Nodes switched to green: 3\/3[\s\S]*\[Roll back\]\n$/);
    expect(message.thread).toMatch(/^ \(2 replies\):\n {4}start requested \(alice \(slack\)\)\n {4}promote requested \(bobby \(slack\)\)$/);

    // The rollback from Slack by carol re-creates the retired blue from the recorded template, with no verification pause.
    const rollback = section('Rollback from Slack by on-call');
    expect(rollback).toMatch(/blog-blue was retired after the drain/);
    expect(rollback).toContain('  carol types in #deploys: /deploy rollback blog  (Socket Mode)');
    const rollbackId = /Slack shows carol only: Rolling blog back to blue 1\.0\.0 as `(blog-[0-9a-f]{8})`: follow it in #deploys\./.exec(rollback)![1]!;
    expect(rollback).toMatch(/pending → discovering .* by carol \(on call\) \(slack\)/);
    expect(rollback).toMatch(/re-creating blog-blue at 1\.0\.0 from the recorded template/);
    expect(rollback).toMatch(/waiting → switching/);
    expect(rollback).not.toMatch(/verifying/);
    expect(rollback).toMatch(/load during the rollback: [1-9]\d* requests .*, 0 failed/);
    const rolled = transcript(section("The rollback's own message in #deploys"));
    expect(rolled.versions[0]!.text).toContain(`Rollback of blog: green 2.0.0 → blue 1.0.0 · pending\n    asked by carol (on call) (slack) · ${rollbackId}`);
    expect(rolled.versions.at(-1)!.text).toContain('rolled back: blue 1.0.0 is live');
    expect(rolled.versions.some((v) => v.text.includes('[Promote]'))).toBe(false);

    const history = section('History of blog');
    expect(history).toMatch(new RegExp(`^ {2}${rollbackId} {2}rollback {2}1\\.0\\.0 {4}green → blue {2}rolled-back {2}carol \\(on call\\) \\(slack\\)`, 'm'));
    expect(history).toMatch(new RegExp(`^ {2}${id} {2}deploy {4}2\\.0\\.0 {4}blue → green {2}done {9}ci \\(ci\\), started by alice, promoted by bobby`, 'm'));

    expect(out).toMatch(/Removed 3 network namespaces, \d+ processes, 2 folders and 4 servers \(the Kubernetes stand-in, the EC2 stand-in, the Slack stand-in, the agent's HTTP API\); nothing of the sandbox is left\./);
    expect(out.trimEnd().endsWith('Everything went as expected.')).toBe(true);
    const namespaces = [...out.matchAll(/netns (sy-[0-9a-f]+-\d)/g)].map((m) => m[1]!);
    const config = /^Config: (\S+)$/m.exec(out)![1]!;
    expect(await remains(namespaces, [], [dirname(config)])).toEqual([]);
    const kubeUrl = /stand-in Kubernetes API at (\S+)/.exec(out)![1]!;
    for (const url of [apiUrl, slackUrl, kubeUrl]) expect(await listening(url), url).toBe(false);
  });

  it('--keep: after the deploy and the rollback, leaves the sandbox running with the dashboard until Ctrl-C, then removes everything and exits 0', async () => {
    const stop = new AbortController();
    let out = '';
    let err = '';
    const exited = run(['sandbox', '--keep', '--nodes', '1'], {
      env: { USER: 'tester' },
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      signal: stop.signal,
    });
    const kept = /look at the dashboard on (http:\/\/127\.0\.0\.1:\d+\/)\n/;
    await expect.poll(() => out, { timeout: 240_000, interval: 500 }).toMatch(kept);
    expect(out).toContain('Press Ctrl-C to remove everything.');
    expect(out).not.toContain('Removing the sandbox');
    const dashboard = kept.exec(out)![1]!;

    // Still running after the story: the dashboard shows it, from the agent's own state.
    const overview = await fetch(dashboard);
    expect(overview.status).toBe(200);
    expect(overview.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await overview.text()).toMatch(/<a href="\/apps\/blog">blog<\/a>[\s\S]*<span class="colour colour-blue">blue<\/span> 1\.0\.0/);
    const app = await (await fetch(`${dashboard}apps/blog`)).text();
    expect(app).toMatch(/rollback of 1\.0\.0[\s\S]*rolled-back[\s\S]*deploy of 2\.0\.0[\s\S]*done/);

    stop.abort();
    expect(await exited).toBe(EXIT.ok);
    expect(err).toBe('');
    expect(out).toMatch(/nothing of the sandbox is left\.\n\nEverything went as expected\.\n$/);
    expect(await listening(dashboard)).toBe(false);
    const namespaces = [...out.matchAll(/netns (sy-[0-9a-f]+-\d)/g)].map((m) => m[1]!);
    expect(namespaces).toHaveLength(1);
    expect(await remains(namespaces, [], [dirname(/^Config: (\S+)$/m.exec(out)![1]!)])).toEqual([]);
  });

  it('removes every node, namespace, bridge, process, folder and server when interrupted mid-deploy (switchyard sandbox --json)', async () => {
    const stop = new AbortController();
    let setup: { nodes: Array<{ namespace: string }>; configPath: string; fleetDir: string } | undefined;
    let pids: number[] = [];
    let buffered = '';
    let err = '';
    // What a second Ctrl-C would find: the sandbox holds it off from starting its nodes until they are removed.
    let holds = 0;
    const heldAt: Record<string, number> = {};
    const records: Array<{ type: string; to?: string; [key: string]: unknown }> = [];
    const onLine = (line: string): void => {
      const record = JSON.parse(line) as (typeof records)[number];
      records.push(record);
      heldAt[record.type] = holds;
      if (record.type === 'setup') setup = record as unknown as typeof setup;
      // Mid-deploy: the new colour is created and its pods are coming up. Take stock of every process, then Ctrl-C.
      if (record.type === 'phase' && record.to === 'waiting' && !stop.signal.aborted) {
        pids = setup!.nodes.flatMap((n) => pidsIn(n.namespace));
        stop.abort();
      }
    };
    const code = await run(['sandbox', '--json'], {
      env: { USER: 'tester' },
      stdout: {
        write: (s: string) => {
          buffered += s;
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          lines.filter(Boolean).forEach(onLine);
        },
      },
      stderr: { write: (s: string) => (err += s) },
      signal: stop.signal,
      holdExit: () => {
        holds++;
        return () => holds--;
      },
    });

    expect(err).toBe('');
    expect(code).toBe(EXIT.interrupted);
    expect(setup?.nodes).toHaveLength(3);
    // Each node runs at least its namespace holder, two nginx masters with workers, and sshd.
    expect(pids.length).toBeGreaterThanOrEqual(3 * 4);
    // CI started it through the API, held; alice started it from Slack; then Ctrl-C while its pods came up.
    const types = records.map((r) => r.type);
    expect(records.find((r) => r.type === 'ci-request')).toMatchObject({ status: 202, answer: { app: 'blog', version: '2.0.0', held: true } });
    expect(records.find((r) => r.type === 'ci-event')).toMatchObject({ phase: 'pending', held: true });
    expect(records.find((r) => r.type === 'slack-click')).toMatchObject({ user: 'alice', channel: '#deploys', action: 'start' });
    expect(types.indexOf('slack-click')).toBeLessThan(types.findIndex((t, i) => t === 'phase' && records[i]!.to === 'waiting'));
    // The deploy was cut off, not finished: its runner stopped with the agent, and CI's step did not end on its own.
    expect(types).toContain('stopped');
    expect(types).not.toContain('finished');
    expect(types).not.toContain('ci-exit');
    expect(types).toContain('removed');
    expect(records.at(-1)).toEqual({ type: 'interrupted', leftovers: [] });
    expect(heldAt).toMatchObject({ setup: 1, removed: 1, interrupted: 0 });
    expect(await remains(setup!.nodes.map((n) => n.namespace), pids, [setup!.fleetDir, dirname(setup!.configPath)])).toEqual([]);
    const serve = records.find((r) => r.type === 'serve') as unknown as { api: string; slack: { apiUrl: string } };
    const removed = records.find((r) => r.type === 'removed') as unknown as { servers: Record<string, string> };
    expect(Object.values(removed.servers)).toEqual(expect.arrayContaining([serve.api, serve.slack.apiUrl]));
    for (const url of Object.values(removed.servers)) expect(await listening(url), url).toBe(false);
  });
});

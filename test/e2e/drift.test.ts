import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { pino } from 'pino';
import { AgentServer } from '../../src/agent/agent-server.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { systemClock } from '../../src/deploy/system-clock.js';
import { renderUpstreamFile } from '../../src/fleet/nginx-templates.js';
import { probeNode } from '../../src/fleet/probe-node.js';
import type { TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import type { Colour } from '../../src/validate/patterns.js';
import { CliProcess, type CliLine } from '../support/cli-process.js';
import { alice, bob, deployStories, type DeployStory } from '../support/deploy-story.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet, servedBy, upstreamFile } from '../support/fleet.js';

/**
 * A node set to a colour by hand, the way salt lays down a new node's
 * upstream file (create-only, from the template, with the colour its pillar
 * says): the file written whole, nginx reloaded.
 */
async function givenLaidDownBySalt(story: DeployStory, node: TestNode, colour: Colour): Promise<void> {
  const app = story.env.config.apps[0]!;
  await writeFile(join(node.dir, 'backends.d', `${app.name}.conf`), renderUpstreamFile(app, colour));
  await story.env.fleet.inNode(node, 'sh', ['-c', story.env.fleet.nginxConfig.reloadCommand]);
  // `nginx -s reload` returns before the master applies the file: wait until a request goes to `colour`.
  for (let tries = 0; ; tries++) {
    const r = await probeNode(node, app, app.probe!);
    if ('colour' in r && r.colour === colour) return;
    if (tries >= 100) throw new Error(`${node.name} never served ${colour}: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `switchyard <args> --json` as its own process: its exit code and JSON lines. */
async function switchyard(story: DeployStory, args: string[]): Promise<{ code: number | null; lines: CliLine[]; stderr: string }> {
  const cli = CliProcess.start(args, story.env.env);
  const code = await cli.exited;
  return { code, lines: cli.lines, stderr: cli.stderr.join('\n') };
}

/** The agent's log as `level: message` lines, and a wait for the first line that matches (already written or to come). */
function watchedLog() {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const log = pino({ level: 'info' }, {
    write: (s: string) => {
      const { level, msg } = JSON.parse(s) as { level: number; msg: string };
      lines.push(`${level >= 40 ? 'warn' : 'info'}: ${msg}`);
      for (const w of waiters) w();
    },
  });
  const until = (match: RegExp): Promise<void> => new Promise((resolve) => {
    const check = () => lines.some((l) => match.test(l)) && (waiters.delete(check), resolve(), true);
    if (!check()) waiters.add(check);
  });
  return { log, lines, until };
}

describeOnFleet('drift: check finds it, reconcile brings it back, a switch refuses it (invariant 13), on three real nodes', () => {
  const stories = deployStories();

  // Two CLI processes (each starts tsx on the source) besides the sandbox: more than the default minute on a busy machine.
  it('a node added later on the retired colour: check exits with drift naming it, reconcile puts it back, files, nginx and record agree', async () => {
    // Given green 1.0.0 live and recorded, blue retired; then node-3 comes up with blue, as salt's pillar still says.
    const story = await stories.given({ managed: true });
    const node = story.env.fleet.nodes[2]!;
    await givenLaidDownBySalt(story, node, 'blue');

    const found = await switchyard(story, ['check', 'blog']);
    expect(found.code, found.stderr).toBe(EXIT.drift);
    const [report] = (found.lines[0] as { apps: { report: { nodes: { node: string; colour: string }[]; recorded: string; drift: string } }[] }).apps.map((a) => a.report);
    expect(report!.nodes.map((n) => `${n.node} ${n.colour}`)).toEqual(['node-1 green', 'node-2 green', 'node-3 blue']);
    expect(report!.recorded).toBe('green');
    expect(report!.drift).toMatch(/^blog: nodes disagree: blue on node-3; green on node-1, node-2 \(the record says green\); run `switchyard reconcile blog`/);
    expect(found.stderr).toContain('error: drift in blog');

    const fixed = await switchyard(story, ['reconcile', 'blog', '--yes']);
    expect(fixed.code, fixed.stderr).toBe(EXIT.ok);
    expect(fixed.lines[0]).toMatchObject({ type: 'plan', plan: { target: 'green', version: '1.0.0', nodes: [{ node: 'node-3', from: 'blue' }] } });
    expect(fixed.lines[1]).toMatchObject({ type: 'reconciled', record: { kind: 'reconcile', phase: 'done', requestedBy: { via: 'cli', id: 'e2e' } } });

    const { colour, version, state } = await expectConsistent(story.env);
    expect({ colour, version }).toEqual({ colour: 'green', version: '1.0.0' });
    expect(await upstreamFile(node)).toContain('30000 down;');
    expect(state.history[0]).toMatchObject({ kind: 'reconcile', fromColour: 'green', toColour: 'green', switched: { nodes: 1 } });

    expect((await story.agent.service.checkFleet('blog')).report).toMatchObject({ recorded: 'green', drift: null });
  }, 240_000);

  it('serve checks every node on its own: one warning naming the node and reconcile, one line once reconciled', async () => {
    const story = await stories.given({ managed: true });
    const { log, lines, until } = watchedLog();
    const server = new AgentServer(story.agent, { log, clock: systemClock, everyMs: 60_000, driftCheckMs: 5000 });
    const fleetReports: (string | null)[] = [];
    story.agent.service.feed.watchFleet((r) => fleetReports.push(r.drift));
    await server.start();
    try {
      await givenLaidDownBySalt(story, story.env.fleet.nodes[2]!, 'blue');
      await until(/^warn: drift: /);
      await story.agent.service.reconcile('blog', await story.agent.service.planReconcile('blog'), alice);
      await until(/^info: blog: drift ended/);
    } finally {
      await server.stop();
    }
    const drift = lines.filter((l) => /drift/.test(l));
    expect(drift).toEqual([
      expect.stringMatching(/^warn: drift: blog: nodes disagree: blue on node-3; green on node-1, node-2 \(the record says green\); run `switchyard reconcile blog`/),
      'info: blog: drift ended: every node serves green, as recorded',
    ]);
    expect(fleetReports.at(-1)).toBeNull();
    expect(fleetReports.filter((d) => d !== null)).toHaveLength(1);
  });

  it('a node that drifts while a deploy waits for its promote: the switch re-reads it and refuses, naming it and reconcile; no node changes', async () => {
    const story = await stories.given({ managed: true });
    await story.whenDeployed('2.0.0', alice);
    await story.untilPhase('verifying');
    const node = story.env.fleet.nodes[1]!;
    await givenLaidDownBySalt(story, node, 'blue');
    await story.whenPromoted(bob);
    const record = await story.untilFinished();

    expect(record).toMatchObject({
      phase: 'failed',
      error: {
        phase: 'switching',
        code: 'fleet-disagrees',
        message: "nodes disagree on blog's live colour: green on node-1, node-3; blue on node-2 (the record says green); nothing was changed",
        hint: expect.stringContaining('run `switchyard reconcile blog`'),
      },
    });
    expect(story.events.some((e) => e.type === 'nodes')).toBe(false);
    expect(await servedBy(story.env.fleet, story.env.fleet.nodes[0]!)).toBe('blog 1.0.0');
    expect(story.state().live).toEqual({ colour: 'green', version: '1.0.0' });
  });
});

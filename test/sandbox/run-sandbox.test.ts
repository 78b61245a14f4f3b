import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

describeOnFleet('switchyard sandbox on real nodes', () => {
  it('deploys blog 2.0.0 under load, promotes, rolls back to 1.0.0 and removes everything', async () => {
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

    // The deploy: phases with timings, pods, previews of green from the previewUrl template, the promote, nodes, mixed window.
    const deploy = section('Deploy blog 2.0.0');
    for (const phase of ['pending → discovering', 'discovering → creating', 'creating → waiting', 'waiting → verifying', 'verifying → switching', 'switching → draining', 'draining → retiring', 'retiring → done']) {
      expect(deploy).toContain(phase);
    }
    expect(deploy).toMatch(/pods 2\/2 ready \(green\)/);
    expect(deploy.match(/^ {4}http:\/\/10\.213\.\d+\.1\d:30001\/ -> blog 2\.0\.0$/gm)).toHaveLength(3);
    expect(deploy).toMatch(/presses Promote for you/);
    expect(deploy).toMatch(/verifying → switching .* by you \(the sandbox\) \(cli\) {2}promoted/);
    expect(deploy).toMatch(/nodes 3\/3 switched to green, mixed window \d+ ms/);
    expect(deploy).toMatch(/time per phase: pending \d+ ms, discovering/);
    expect(deploy).toMatch(/load during the deploy: [1-9]\d* requests .*, 0 failed \(.*answered blog 2\.0\.0/);

    // The rollback re-creates the retired blue from the recorded template, with no verification pause.
    const rollback = section('Rollback by on-call');
    expect(rollback).toMatch(/blog-blue was retired after the drain/);
    expect(rollback).toMatch(/re-creating blog-blue at 1\.0\.0 from the recorded template/);
    expect(rollback).toMatch(/waiting → switching/);
    expect(rollback).not.toMatch(/verifying/);
    expect(rollback).toMatch(/load during the rollback: [1-9]\d* requests .*, 0 failed/);

    const history = section('History of blog');
    expect(history).toMatch(/^ {2}blog-[0-9a-f]{8} {2}rollback {2}1\.0\.0 {4}green → blue {2}rolled-back/m);
    expect(history).toMatch(/^ {2}blog-[0-9a-f]{8} {2}deploy {4}2\.0\.0 {4}blue → green {2}done .*promoted by sandbox/m);

    expect(out).toMatch(/Removed 3 network namespaces, \d+ processes and 2 folders; nothing of the sandbox is left\./);
    expect(out.trimEnd().endsWith('Everything went as expected.')).toBe(true);
    const namespaces = [...out.matchAll(/netns (sy-[0-9a-f]+-\d)/g)].map((m) => m[1]!);
    const config = /^Config: (\S+)$/m.exec(out)![1]!;
    expect(await remains(namespaces, [], [dirname(config)])).toEqual([]);
  });

  it('removes every node, namespace, bridge, process and folder when interrupted mid-deploy (switchyard sandbox --json)', async () => {
    const stop = new AbortController();
    let setup: { nodes: Array<{ namespace: string }>; configPath: string; fleetDir: string } | undefined;
    let pids: number[] = [];
    let buffered = '';
    let err = '';
    // What a second Ctrl-C would find: the sandbox holds it off from starting its nodes until they are removed.
    let holds = 0;
    const heldAt: Record<string, number> = {};
    const records: Array<{ type: string; to?: string }> = [];
    const onLine = (line: string): void => {
      const record = JSON.parse(line) as { type: string; to?: string };
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
    // The deploy was cut off, not finished: its runner stopped with the agent.
    expect(records.map((r) => r.type)).toContain('stopped');
    expect(records.map((r) => r.type)).not.toContain('finished');
    expect(records.map((r) => r.type)).toContain('removed');
    expect(records.at(-1)).toEqual({ type: 'interrupted', leftovers: [] });
    expect(heldAt).toMatchObject({ setup: 1, removed: 1, interrupted: 0 });
    expect(await remains(setup!.nodes.map((n) => n.namespace), pids, [setup!.fleetDir, dirname(setup!.configPath)])).toEqual([]);
  });
});

import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { renderUpstreamFile, renderVhostFile } from '../../src/fleet/nginx-templates.js';
import { COMMIT_UPSTREAM, STAGE_UPSTREAM, nodeFiles } from '../../src/fleet/remote-scripts.js';
import { SshPool } from '../../src/fleet/ssh-pool.js';
import { parseUpstream, renderUpstream } from '../../src/fleet/upstream-file.js';
import type { TestNode } from '../../src/sandbox/fleet/test-fleet.js';
import { describeOnFleet, servedBy, servedByAll, upstreamFile, failure, fleetPerTest } from '../support/fleet.js';

/** blog with a probe: a request through each node's nginx to the blog vhost. */
const blog = { name: 'blog', portBase: 30000, probe: { host: 'blog', path: '/', port: 80 } };


/** Waits for a condition of the outside world (a file, an answer), checking every 20 ms. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  for (let waited = 0; !(await check()); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The switch's files beside node's blog.conf, seen from outside the node. */
const files = (node: TestNode): ReturnType<typeof nodeFiles> => nodeFiles(join(node.dir, 'backends.d', 'blog.conf'));
const journalOf = (node: TestNode): string => files(node).journal;
/** The node's commit has renamed green in (and has not put blue back yet). */
const armed = async (node: TestNode): Promise<boolean> =>
  existsSync(journalOf(node)) && parseUpstream(await upstreamFile(node), blog, node.name).live === 'green';

for (const login of ['root', 'deploy'] as const) {
  describeOnFleet(`the live colour is what nginx runs, on real nodes, switchyard logged in as ${login}`, () => {
    const fleets = fleetPerTest();

    /** Leaves a node as a commit that died between "armed" and "confirmed" would: green renamed in, the journal beside it. */
    async function leaveArmed(node: TestNode): Promise<void> {
      const { fleet, pool } = fleets.current;
      const live = `${fleet.nginxConfig.backendsDir}/blog.conf`;
      const { backup, journal } = nodeFiles(live);
      const green = renderUpstream(await upstreamFile(node), blog, 'green', live);
      // As the deploy user would have: its files, its owner.
      const res = await pool.exec(node, 'cp -p -- "$1" "$2" && printf "since 0\\nnginx-ran backup\\ngeneration none\\n" > "$3" && cat > "$1"', [live, backup, journal], { stdin: green });
      expect(res.code, res.stderr).toBe(0);
    }

    it('settles a node that a dead run left armed before trusting its file, also when an outside reload made the armed file live', async () => {
      const t = await fleets.start({ size: 3, login });
      const { fleet, switcher } = t;
      const [reloaded, armedOnly] = fleet.nodes;
      await leaveArmed(reloaded!);
      await leaveArmed(armedOnly!);
      // salt or certbot reloads node-1: its nginx now runs the armed file.
      await fleet.inNode(reloaded!, 'sh', ['-c', fleet.nginxConfig.reloadCommand]);
      await until('node-1 to serve green', async () => (await servedBy(fleet, reloaded!)) === 'blog green');
      expect(await servedBy(fleet, armedOnly!)).toBe('blog blue');

      const live = await switcher.readLive(fleet.nodes, blog);
      expect(live).toEqual({
        agreed: 'blue',
        nodes: [{ node: 'node-1', colour: 'blue', settled: true }, { node: 'node-2', colour: 'blue', settled: true }, { node: 'node-3', colour: 'blue' }],
      });
      expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
      for (const node of fleet.nodes) expect(existsSync(journalOf(node))).toBe(false);
      expect((await switcher.truth(fleet.nodes, blog)).map((n) => [n.file, n.serves?.colour, n.agrees])).toEqual(Array(3).fill(['blue', 'blue', true]));
    });

    it('puts back and reloads an armed node that an outside reload made live while the switch waited at the barrier, when another node fails', async () => {
      const t = await fleets.start({ size: 3, login }, { testHooks: true });
      const { fleet, switcher } = t;
      const [outside, , failing] = fleet.nodes;
      await writeFile(join(failing!.dir, 'test-hold'), '');
      await writeFile(join(failing!.dir, 'test-fail'), '');
      const switching = failure(switcher.switchTo(fleet.nodes, blog, 'green'));

      // node-1 is armed and waits at the barrier; salt reloads its nginx.
      await until('node-1 to be armed', () => armed(outside!));
      await fleet.inNode(outside!, 'sh', ['-c', fleet.nginxConfig.reloadCommand]);
      await until('node-1 to serve green', async () => (await servedBy(fleet, outside!)) === 'blog green');
      // node-3's nginx -t then fails: every armed node is told to disarm.
      await rm(join(failing!.dir, 'test-hold'));
      const err = await switching;

      expect(err.code).toBe('switch-commit-failed');
      expect(err.message).toMatch(/failed on node-3: nginx -t failed, backup restored .*; no node had reloaded green; every node was put back on blue$/);
      expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
      expect((await switcher.readLive(fleet.nodes, blog)).nodes).toEqual(fleet.nodes.map((n) => ({ node: n.name, colour: 'blue' })));
      for (const node of fleet.nodes) expect(existsSync(journalOf(node))).toBe(false);
    });

    it('times out at the barrier by itself when the agent never says go, and puts the node back', async () => {
      const t = await fleets.start({ size: 1, login });
      const { fleet } = t;
      const node = fleet.nodes[0]!;
      const live = `${fleet.nginxConfig.backendsDir}/blog.conf`;
      const nginx = fleet.nginxConfig;
      // The protocol's own arguments, with a two-second barrier.
      const args = [live, nginx.testCommand, nginx.reloadCommand, nginx.pidFile, '3000', '2000', '10000'];
      const pool = await SshPool.fromConfig({ ...fleet.sshConfig, commandTimeoutSeconds: 15 });
      try {
        const staged = await pool.exec(node, STAGE_UPSTREAM, args, { stdin: renderUpstream(await upstreamFile(node), blog, 'green', live) });
        expect(staged.code, staged.stdout).toBe(0);
        // An agent that froze after the node armed: its channel stays open and silent.
        const silent = new PassThrough();
        silent.write('lock 10000\n');
        const res = await pool.exec(node, COMMIT_UPSTREAM, args, { stdin: silent });
        expect(res.code, res.stdout).toBe(31);
        expect(res.stdout).toMatch(/^@armed$/m);
        expect(res.stdout).toMatch(/^@barrier-timeout: no word from switchyard within 2 s$/m);
        silent.destroy();
        // Frozen before its turn to take the node lock: the node leaves by itself, having changed nothing.
        const frozen = new PassThrough();
        const early = await pool.exec(node, COMMIT_UPSTREAM, args, { stdin: frozen });
        expect(early.code, early.stdout).toBe(31);
        expect(early.stdout).not.toMatch(/^@(node-locked|armed)$/m);
        frozen.destroy();
      } finally {
        await pool.close();
      }
      expect(parseUpstream(await upstreamFile(node), blog, 'f').live).toBe('blue');
      expect(existsSync(journalOf(node))).toBe(false);
      expect(await servedBy(fleet, node)).toBe('blog blue');
    });

    it('says a node could not be put back when its restore fails, and no read trusts its file until someone fixes it', async () => {
      const t = await fleets.start({ size: 3, login }, { testHooks: true });
      const { fleet, switcher } = t;
      const [lost, , failing] = fleet.nodes;
      const { backup } = files(lost!);
      await writeFile(join(failing!.dir, 'test-hold'), '');
      await writeFile(join(failing!.dir, 'test-fail'), '');
      const switching = failure(switcher.switchTo(fleet.nodes, blog, 'green'));
      await until('node-1 to be armed', () => armed(lost!));
      const blue = await readFile(backup, 'utf8');
      await rm(backup);
      await rm(join(failing!.dir, 'test-hold'));
      const err = await switching;

      expect(err.code).toBe('switch-commit-failed');
      expect(err.message).toMatch(/COULD NOT PUT BACK node-1 \(could not put the backup back \(there is no backup .*blog\.conf\.switchyard-backup to put back\)/);
      expect(err.hint).toMatch(/nodes may now disagree/);
      // The file says green, nginx still runs blue: the journal stays, and reads say so instead of trusting the file.
      expect(parseUpstream(await upstreamFile(lost!), blog, 'f').live).toBe('green');
      expect(await servedBy(fleet, lost!)).toBe('blog blue');
      const read = await switcher.readLive(fleet.nodes, blog);
      expect(read.agreed).toBeNull();
      expect(read.nodes[0]).toEqual({ node: 'node-1', error: expect.stringMatching(/a switch interrupted on the node left .*blog\.conf armed, and could not put the backup back/) });
      const [truth] = await switcher.truth([lost!], blog);
      expect(truth).toMatchObject({ file: null, serves: { colour: 'blue' }, agrees: false });

      // Someone puts the backup back: the next read settles the node.
      await t.pool.exec(lost!, 'cat > "$1"', [`${fleet.nginxConfig.backendsDir}/blog.conf.switchyard-backup`], { stdin: blue });
      expect(await switcher.readLive(fleet.nodes, blog)).toMatchObject({ agreed: 'blue', nodes: [{ node: 'node-1', colour: 'blue', settled: true }, {}, {}] });
      expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    });

    it('refuses, before any change, a node whose nginx does not load the upstream file, and its truth says why', async () => {
      const t = await fleets.start({ size: 3, login });
      const { fleet, switcher } = t;
      const node = fleet.nodes[1]!;
      // An easy onboarding mistake: nginx.conf without the backends.d include, blogLB inline.
      const conf = join(node.dir, 'nginx.conf');
      const inline = (await readFile(conf, 'utf8')).replace(/ {2}include \S+\/backends\.d\/\*\.conf;\n/, renderUpstreamFile(blog, 'blue'));
      await writeFile(conf, inline);
      await fleet.inNode(node, 'sh', ['-c', fleet.nginxConfig.reloadCommand]);

      const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
      expect(err.code).toBe('switch-prepare-failed');
      expect(err.message).toMatch(/cannot prepare blog on node-2: nginx does not load \S+\/backends\.d\/blog\.conf: its configuration \(nginx -T\) does not include it; upstream blogLB comes from \S+\/nginx\.conf instead; nothing was changed on any node$/);
      expect(err.hint).toMatch(/^include \S+\/backends\.d\/\*\.conf inside http \{\} in nginx\.conf and remove upstream blogLB from \S+\/nginx\.conf$/);
      for (const n of fleet.nodes) expect(parseUpstream(await upstreamFile(n), blog, 'f').live).toBe('blue');
      expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);

      const truth = await switcher.truth(fleet.nodes, blog);
      expect(truth.map((n) => [n.node, n.loads.ok, n.agrees])).toEqual([['node-1', true, true], ['node-2', false, false], ['node-3', true, true]]);
      expect(truth[1]!.loads.detail).toMatch(/does not include it/);
    });

    it('catches traffic that did not move after a confirmed reload, and puts every node back', async () => {
      const t = await fleets.start({ size: 3, login });
      const { fleet, switcher } = t;
      const node = fleet.nodes[1]!;
      // node-2's vhost proxies to an upstream of its own on blue's port: the file flips, the traffic does not.
      const site = `upstream blog_pinned { server 127.0.0.1:30000; }\n${renderVhostFile({ name: 'blog', upstreamName: 'blog_pinned' }, { listen: '80 default_server', serverName: 'blog', backendsDir: fleet.nginxConfig.backendsDir })}`;
      await writeFile(join(node.dir, 'sites', 'blog.conf'), site);
      await fleet.inNode(node, 'sh', ['-c', fleet.nginxConfig.reloadCommand]);

      const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
      expect(err.code).toBe('switch-commit-failed');
      expect(err.message).toMatch(/failed on node-2: traffic did not move: after the reload, a request through nginx answered 200 through 127\.0\.0\.1:30000; 3 node\(s\) that had reloaded put back on blue$/);
      expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
      expect((await switcher.readLive(fleet.nodes, blog)).agreed).toBe('blue');
    });

    if (login === 'deploy') {
      it('lets the deploy user run as root exactly nginx\'s test, dump and reload, and nothing else', async () => {
        const t = await fleets.start({ size: 1, login });
        const { fleet, pool } = t;
        const node = fleet.nodes[0]!;
        const run = async (command: string): Promise<number> => (await pool.exec(node, 'sh -c "$1" >/dev/null 2>&1', [command])).code;
        const { testCommand, dumpCommand, reloadCommand } = fleet.nginxConfig;
        expect((await pool.exec(node, 'id -u', [])).stdout.trim()).not.toBe('0');
        for (const allowed of [testCommand, dumpCommand, reloadCommand]) expect(await run(allowed), allowed).toBe(0);
        for (const refused of ['sudo -n /bin/sh -c id', 'sudo -n /usr/sbin/nginx -s stop', `${testCommand} -g 'daemon off;'`, 'sudo -n cat /etc/shadow']) {
          expect(await run(refused), refused).not.toBe(0);
        }
        // What it owns is the backends folder; nginx's pid file lives in root's folder.
        expect(await run(`touch ${fleet.nginxConfig.backendsDir}/x && rm ${fleet.nginxConfig.backendsDir}/x`)).toBe(0);
        expect(await run(`touch ${fleet.mount}/x`)).not.toBe(0);
      });
    }
  }, { login });
}

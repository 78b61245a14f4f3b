import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { FleetSwitch } from '../../src/fleet/fleet-switch.js';
import { SshPool } from '../../src/fleet/ssh-pool.js';
import { parseUpstream } from '../../src/fleet/upstream-file.js';
import { blog, describeOnFleet, servedBy, servedByAll, upstreamFile, failure, fleetPerTest } from '../support/fleet.js';


describeOnFleet('fleet switch on real nginx and sshd nodes', () => {
  const fleets = fleetPerTest();

  it('switches blue → green → blue on every node, seen through each node\'s nginx', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);

    const toGreen = await switcher.switchTo(fleet.nodes, blog, 'green');
    expect(toGreen).toMatchObject({ from: 'blue', to: 'green' });
    expect(toGreen.nodes.every((n) => n.changed && n.oldWorkers.length > 0)).toBe(true);
    expect(toGreen.mixedWindowMs).toBeGreaterThanOrEqual(0);
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green', 'blog green']);
    expect((await switcher.readLive(fleet.nodes, blog)).agreed).toBe('green');

    await switcher.switchTo(fleet.nodes, blog, 'blue');
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    for (const node of fleet.nodes) {
      expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.staged'))).toBe(false);
      expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.switchyard-backup'))).toBe(true);
    }
  });

  it('changes nothing when switching to the colour already live', async () => {
    const t = await fleets.start({ size: 3 });
    const before = await Promise.all(t.fleet.nodes.map((n) => t.fleet.nginxMaster(n)));
    const result = await t.switcher.switchTo(t.fleet.nodes, blog, 'blue');
    expect(result.nodes.map((n) => n.changed)).toEqual([false, false, false]);
    expect(result.mixedWindowMs).toBe(0);
    expect(await Promise.all(t.fleet.nodes.map((n) => t.fleet.nginxMaster(n)))).toEqual(before);
    expect(existsSync(join(t.fleet.nodes[0]!.dir, 'backends.d', 'blog.conf.switchyard-backup'))).toBe(false);
  });

  it('changes only the app\'s upstream: a second upstream on blue\'s port keeps serving blue after a switch to green', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    // Static assets come from blue's pods whatever colour is live: an
    // upstream of the operator's, in the same file, on the same port.
    const rich = `# hand-tuned\nupstream blogLB {\n    keepalive 8;\n    server 127.0.0.1:30000   weight=3 max_fails=2;  # blue\n    server 127.0.0.1:30001 weight=3 down;\n}\nupstream blog_static { server 127.0.0.1:30000; }  # not switchyard's: never down\n`;
    for (const node of fleet.nodes) {
      await writeFile(join(node.dir, 'backends.d', 'blog.conf'), rich);
      await writeFile(join(node.dir, 'sites', 'static.conf'), 'server { listen 80; server_name static; location / { proxy_pass http://blog_static; } }\n');
    }
    await switcher.switchTo(fleet.nodes, blog, 'green');
    const expected = rich.replace('max_fails=2;', 'max_fails=2 down;').replace('weight=3 down;', 'weight=3;');
    for (const node of fleet.nodes) expect(await upstreamFile(node)).toBe(expected);
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green', 'blog green']);
    expect(await servedByAll(fleet, 'static')).toEqual(['blog blue', 'blog blue', 'blog blue']);

    // And back: the static pool was never touched, so nothing disagrees with itself.
    await switcher.switchTo(fleet.nodes, blog, 'blue');
    for (const node of fleet.nodes) expect(await upstreamFile(node)).toBe(rich);
    expect(await servedByAll(fleet, 'static')).toEqual(['blog blue', 'blog blue', 'blog blue']);
  });

  it('switches the upstream the app\'s config names', async () => {
    const shop = { name: 'shop', portBase: 30020, upstreamName: 'shop_backend' };
    const t = await fleets.start({ size: 2, apps: [shop] });
    const { fleet, switcher } = t;
    expect(await upstreamFile(fleet.nodes[0]!, 'shop')).toContain('upstream shop_backend {');
    await switcher.switchTo(fleet.nodes, shop, 'green');
    expect(await servedByAll(fleet, 'shop')).toEqual(['shop green', 'shop green']);
    expect((await switcher.readLive(fleet.nodes, shop)).agreed).toBe('green');
    const err = await failure(switcher.switchTo(fleet.nodes, { name: 'shop', portBase: 30020 }, 'blue'));
    expect(err.message).toMatch(/cannot prepare shop on node-1: .*shop\.conf has no upstream shopLB \(it has shop_backend\)/);
    expect(err.hint).toMatch(/add upstream shopLB to .*shop\.conf, or set upstreamName of shop in the config/);
  });

  it('stops before changing anything when a node\'s sshd is down during prepare', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    await switcher.readLive(fleet.nodes, blog); // connections are open, as in a deploy
    await fleet.stopSshd(fleet.nodes[1]!);
    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
    expect(err.code).toBe('switch-prepare-failed');
    // The open connection drops with sshd; a new one is refused.
    expect(err.message).toMatch(/cannot prepare blog on node-2: (SSH connection lost|cannot connect over SSH: connection refused)/);
    expect(err.message).toContain('nothing was changed');
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    for (const node of fleet.nodes) {
      expect(parseUpstream(await upstreamFile(node), blog, 'f').live).toBe('blue');
      expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.staged'))).toBe(false);
    }
  });

  it('puts every node back when nginx -t fails on one node during commit', async () => {
    const t = await fleets.start({ size: 3 }, { testHooks: true });
    const { fleet, switcher } = t;
    await writeFile(join(fleet.nodes[1]!.dir, 'test-fail'), '');

    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
    expect(err.code).toBe('switch-commit-failed');
    expect(err.message).toMatch(/switching blog to green failed on node-2: nginx -t failed, backup restored/);
    expect(err.message).toContain('no node had reloaded green; every node was put back on blue');
    expect(err.hint).toMatch(/every node serves blue/);
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    for (const node of fleet.nodes) expect(parseUpstream(await upstreamFile(node), blog, 'f').live).toBe('blue');

    // The file switchyard wrote is never left in place: every node's config passes nginx -t.
    for (const node of fleet.nodes) await fleet.inNode(node, 'sh', ['-c', fleet.nginxConfig.testCommand]);
  });

  it('refuses, before any change, a node whose nginx config is broken', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    await appendFile(join(fleet.nodes[1]!.dir, 'nginx.conf'), 'this is not nginx;\n');

    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
    expect(err.code).toBe('switch-prepare-failed');
    expect(err.message).toMatch(/cannot prepare blog on node-2: cannot tell whether nginx loads .*blog\.conf: `.*nginx -T .*` failed \(.*unknown directive "this"/);
    expect(err.message).toContain('nothing was changed on any node');
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    for (const node of fleet.nodes) expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.staged'))).toBe(false);
  });

  it('detects a reload that nginx accepts but cannot apply, and puts every node back', async () => {
    const t = await fleets.start({ size: 3 }, { reloadConfirmSeconds: 1 });
    const { fleet, switcher } = t;
    const node = fleet.nodes[2]!;
    // 127.0.0.1:30000 is taken by the node's NodePort responder: nginx -t
    // passes (it does not bind), `nginx -s reload` exits 0, the master fails to bind.
    const site = join(node.dir, 'sites', 'blog.conf');
    await writeFile(site, (await readFile(site, 'utf8')).replace('listen 80 default_server;', 'listen 80 default_server;\n    listen 127.0.0.1:30000;'));
    await fleet.inNode(node, 'sh', ['-c', fleet.nginxConfig.testCommand]);

    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
    expect(err.code).toBe('switch-commit-failed');
    expect(err.message).toMatch(/node-3: reload not applied: no new nginx workers after 1000 ms/);
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
    for (const n of fleet.nodes) expect(parseUpstream(await upstreamFile(n), blog, 'f').live).toBe('blue');
  });

  it('puts back a node whose connection dropped after it was told to reload', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet } = t;
    // node-2 reloads, then its command hangs past the commit's timeout (twice the command
    // timeout: a commit may first wait as long for its node lock) once:
    // switchyard never hears whether it reloaded, so it must put it back too,
    // once the node's own run (which holds the file's lock) has ended.
    const marker = `${fleet.mount}/hang-after-reload`;
    await writeFile(join(fleet.nodes[1]!.dir, 'hang-after-reload'), '');
    const nginx = { ...fleet.nginxConfig, reloadCommand: `${fleet.nginxConfig.reloadCommand} && if [ -e ${marker} ]; then rm ${marker}; sleep 9; fi` };
    const pool = await SshPool.fromConfig({ ...fleet.sshConfig, commandTimeoutSeconds: 3 });
    try {
      const err = await failure(new FleetSwitch({ pool, nginx }).switchTo(fleet.nodes, blog, 'green'));
      expect(err.message).toMatch(/failed on node-2: command did not finish within 6 s; 3 node\(s\) that had reloaded put back on blue/);
      expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
      for (const n of fleet.nodes) expect(parseUpstream(await upstreamFile(n), blog, 'f').live).toBe('blue');
    } finally {
      await pool.close();
    }
  });

  it('refuses a changed host key and an unknown host with a clear message', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, pool } = t;
    await fleet.replaceHostKey(fleet.nodes[0]!);
    const switcher = new FleetSwitch({ pool, nginx: fleet.nginxConfig });
    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
    expect(err.code).toBe('switch-prepare-failed');
    expect(err.message).toMatch(/node-1: host key changed \(offered SHA256:[A-Za-z0-9+/]{43}\), connection refused/);
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);

    const direct = await failure(pool.connect(fleet.nodes[0]!));
    expect(direct.code).toBe('ssh-host-key-mismatch');
    expect(direct.hint).toMatch(/known_hosts/);
    const stranger = await failure(pool.connect({ name: 'stranger', address: '10.213.0.99', port: 22 }));
    expect(stranger.code).toBe('ssh-host-key-unknown');
    expect(stranger.message).toMatch(/no host key for 10\.213\.0\.99 in .*known_hosts/);
  });

  it('refuses a node whose file marks both colours down, before any write', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    const path = join(fleet.nodes[1]!.dir, 'backends.d', 'blog.conf');
    await writeFile(path, (await readFile(path, 'utf8')).replace('30000;', '30000 down;'));
    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
    expect(err.message).toMatch(/node-2: .*blog\.conf: upstream blogLB has both colours down/);
    for (const node of fleet.nodes) expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.staged'))).toBe(false);
    expect(await servedBy(fleet, fleet.nodes[0]!)).toBe('blog blue');
  });

  it('names the nodes that disagree, and brings them together on request', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    await switcher.switchTo([fleet.nodes[2]!], blog, 'green');
    const err = await failure(switcher.switchTo(fleet.nodes, blog, 'green'));
    expect(err.code).toBe('fleet-disagrees');
    expect(err.message).toContain("nodes disagree on blog's live colour: blue on node-1, node-2; green on node-3");
    const repaired = await switcher.switchTo(fleet.nodes, blog, 'blue', { repair: true });
    expect(repaired.nodes.map((n) => n.changed)).toEqual([false, false, true]);
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog blue']);
  });

  it('with the recorded colour, refuses a fleet where one node drifted or all left the record, naming them and reconcile, before any write', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    await switcher.switchTo([fleet.nodes[2]!], blog, 'green');
    const drifted = await failure(switcher.switchTo(fleet.nodes, blog, 'green', { from: 'blue' }));
    expect(drifted.code).toBe('fleet-disagrees');
    expect(drifted.toLine()).toMatch(/^nodes disagree on blog's live colour: blue on node-1, node-2; green on node-3 \(the record says blue\); nothing was changed — run `switchyard reconcile blog`/);
    for (const node of fleet.nodes) expect(existsSync(join(node.dir, 'backends.d', 'blog.conf.staged'))).toBe(false);
    expect(await servedByAll(fleet)).toEqual(['blog blue', 'blog blue', 'blog green']);

    await switcher.switchTo(fleet.nodes, blog, 'green', { repair: true });
    const offRecord = await failure(switcher.switchTo(fleet.nodes, blog, 'blue', { from: 'blue' }));
    expect(offRecord.message).toContain('green on node-1, node-2, node-3 (the record says blue)');
    expect(await servedByAll(fleet)).toEqual(['blog green', 'blog green', 'blog green']);
  });

  it('bounds the drain by its deadline while a request is in flight, and ends it at once when cancelled', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    // A request still arriving on node-1 keeps its old worker busy.
    const held = connect({ host: fleet.nodes[0]!.address, port: 80 });
    await new Promise((resolve) => held.once('connect', resolve));
    held.write('GET / HTTP/1.1\r\nHost: blog\r\n');
    try {
      const result = await switcher.switchTo(fleet.nodes, blog, 'green');
      const bounded = await switcher.waitDrained(fleet.nodes, result, new Date(Date.now() + 1000));
      expect(bounded.map((d) => [d.node, d.drained])).toEqual([['node-1', false], ['node-2', true], ['node-3', true]]);

      const cancel = new AbortController();
      setTimeout(() => cancel.abort(), 200);
      const cancelled = await switcher.waitDrained(fleet.nodes, result, new Date(Date.now() + 60_000), cancel.signal);
      expect(cancelled[0]).toMatchObject({ node: 'node-1', drained: false, error: 'command cancelled' });
    } finally {
      held.destroy();
    }
  });

  it('reports each node drained once its old workers exit, and runs post-deploy and release clean-up', async () => {
    const t = await fleets.start({ size: 3 });
    const { fleet, switcher } = t;
    for (const node of fleet.nodes) {
      for (const r of ['r1', 'r2', 'r3', 'r4']) await fleet.inNode(node, 'mkdir', ['-p', `${fleet.mount}/releases/${r}`]);
      await fleet.inNode(node, 'touch', ['-d', '2020-01-01', `${fleet.mount}/releases/r1`]);
    }
    const result = await switcher.switchTo(fleet.nodes, blog, 'green');
    const drained = await switcher.waitDrained(fleet.nodes, result, new Date(Date.now() + 20_000));
    expect(drained.map((d) => [d.node, d.drained])).toEqual([['node-1', true], ['node-2', true], ['node-3', true]]);

    const after = await switcher.afterSwitch(fleet.nodes, {
      name: 'blog',
      postDeployCommand: `echo deployed > ${fleet.mount}/post-deploy.txt`,
      releasesDir: `${fleet.mount}/releases`,
      keepReleases: 2,
    });
    expect(after.every((a) => a.ok && a.removed.length === 2)).toBe(true);
    expect(after[0]!.removed).toContain(`${fleet.mount}/releases/r1`);
    for (const node of fleet.nodes) expect(await readFile(join(node.dir, 'post-deploy.txt'), 'utf8')).toBe('deployed\n');

    const failing = await switcher.afterSwitch(fleet.nodes, { name: 'blog', postDeployCommand: 'exit 7' });
    expect(failing.map((a) => a.error)).toEqual(Array(3).fill('post-deploy command exited 7: '));
  });
});

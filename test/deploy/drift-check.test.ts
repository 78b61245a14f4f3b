import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { driftCheck } from '../../src/agent/drift-check.js';
import type { FleetReport } from '../../src/deploy/fleet-report.js';
import { DeployService } from '../../src/deploy/deploy-service.js';
import type { FleetNode } from '../../src/discovery/fleet-node.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';
import { alice, appConfig } from './fixtures.js';
import { world } from './fake-ports.js';

/** A logger whose lines a test reads: level and message. */
function capturingLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, said: () => lines.map((l) => `${l.level >= 40 ? 'warn' : 'info'}: ${l.msg}`) };
}

describe('driftCheck (the drift check of switchyard serve)', () => {
  it('feeds each check to the deploy feed and logs a drift once per change, and once when it ends; a drift seen by one check only is a moment, not drift', async () => {
    const w = world();
    const { log, said } = capturingLog();
    const reports: FleetReport[] = [];
    w.service.feed.watchFleet((r) => reports.push(r));
    const pass = driftCheck(w.service, log);
    const signal = new AbortController().signal;

    await pass(signal);
    expect(w.service.feed.fleet('blog')[0]).toMatchObject({ recorded: 'blue', drift: null });
    w.fleet.live.set('node-b', 'green'); // seen by one check only (a file written, its reload to come)
    await pass(signal);
    w.fleet.live.set('node-b', 'blue');
    await pass(signal);
    w.fleet.live.set('node-c', 'green');
    await pass(signal);
    await pass(signal); // a second check finds the same: now it is drift
    await pass(signal); // a third finds it again: not told again
    w.fleet.live.set('node-c', 'blue');
    await pass(signal);

    expect(reports.map((r) => r.drift?.replace(/: it shows .*$/, '') ?? null)).toEqual([
      null,
      'blog: nodes disagree: blue on node-a, node-b; green on node-c (the record says blue); run `switchyard reconcile blog`',
      null,
    ]);
    expect(said()).toEqual([
      expect.stringMatching(/^warn: drift: blog: nodes disagree: blue on node-a, node-b; green on node-c \(the record says blue\); run `switchyard reconcile blog`/),
      'info: blog: drift ended: every node serves blue, as recorded',
    ]);
  });

  it('skips an app while a deploy of it is in flight: a switch in progress is not drift', async () => {
    const w = world();
    const { log, said } = capturingLog();
    const verifying = new Promise<void>((resolve) => w.when('verifying', resolve));
    const started = await w.service.deploy('blog', 'v2', { by: alice });
    await verifying;
    w.fleet.live.set('node-c', 'green');
    await driftCheck(w.service, log)(new AbortController().signal);
    expect(w.service.feed.fleet('blog')).toEqual([]);
    expect(said()).toEqual([]);
    w.fleet.live.set('node-c', 'blue');
    await w.service.abort('blog', alice);
    await started.done;
  });

  it('discovers the nodes once per pass and reads the apps one after another, so a deploy never waits behind every app\'s reads', async () => {
    const w = world();
    const apps = ['blog', 'shop', 'wiki'].map((name) => appConfig({ name, namespace: name }));
    const service = new DeployService({ ...w.deps, apps, newId: (a) => `${a}-1` });
    let reading = 0;
    let most = 0;
    const read = w.fleet.serving.bind(w.fleet);
    w.fleet.serving = async (nodes: FleetNode[]) => {
      most = Math.max(most, ++reading);
      await new Promise((resolve) => setTimeout(resolve, 5));
      reading--;
      return read(nodes);
    };
    await driftCheck(service, capturingLog().log)(new AbortController().signal);
    expect(w.journal.filter((j) => j === 'fleet discover')).toHaveLength(1);
    expect(w.journal.filter((j) => j === 'fleet read')).toHaveLength(3);
    expect(most).toBe(1);
  });

  it('a pass whose discovery fails is logged, checks nothing, and the next pass tries again', async () => {
    const w = world();
    const { log, said } = capturingLog();
    const discover = w.fleet.discover.bind(w.fleet);
    w.fleet.discover = () => Promise.reject(new SwitchyardError('discovery-failed', 'EC2 answered 503'));
    const pass = driftCheck(w.service, log);
    await pass(new AbortController().signal);
    expect(said()).toEqual(['warn: drift check: cannot discover the nodes; trying again next pass']);
    expect(w.journal).not.toContain('fleet read');
    w.fleet.discover = discover;
    await pass(new AbortController().signal);
    expect(w.service.feed.fleet('blog')[0]).toMatchObject({ recorded: 'blue', drift: null });
  });
});

import { expect, it } from 'vitest';
import { leaseName } from '../../src/cluster/colour-names.js';
import { run } from '../../src/cli/main.js';
import type { StoreEvent } from '../../src/sandbox/kube/kube-store.js';
import { stateInEvent, untilAppState } from '../support/app-state-in-store.js';
import { expectConsistent } from '../support/expect-consistent.js';
import { describeOnFleet } from '../support/fleet.js';
import { killWhen } from '../support/kill-when.js';
import { sandboxPerTest } from '../support/sandbox-per-test.js';

const verifying = (e: StoreEvent) => stateInEvent(e)?.inFlight?.phase === 'verifying';

describeOnFleet('promote after the deploy process was SIGKILLed, on real nodes', () => {
  const { start, cli } = sandboxPerTest();

  it('says the holder looks dead and until when its lease holds the deploy; a serve then takes it over and acts on the promote', async () => {
    // Given alice's deploy waiting in verification, its process SIGKILLed there,
    const env = await start({ nodes: 2, agent: { leaseSeconds: 5 } });
    const deploy = cli(['deploy', 'blog', '2.0.0', '--yes']);
    const left = (await killWhen(env.kube, deploy, verifying, 90_000)).inFlight!;
    await deploy.exited;
    // and more than half a lease gone without a renewal (a live holder renews every third).
    const renewTime = () => Date.parse(String((env.kube.store.find('leases', 'blog', leaseName('blog'))?.spec as { renewTime?: string } | undefined)?.renewTime));
    while (Date.now() - renewTime() < 3_000) await new Promise((r) => setTimeout(r, 100));

    // When bob promotes from his shell,
    let out = '';
    const write = (s: string) => void (out += s);
    const code = await run(['promote', 'blog'], { env: { ...env.env, USER: 'bob' }, stdout: { write }, stderr: { write } });

    // then it says the promote is recorded, that the holder looks dead, when its lease expires, and what carries it on.
    expect(code, out).toBe(0);
    expect(out).toMatch(
      new RegExp(
        `${left.id}  held by \\S+; that agent looks dead: its lease was last renewed at \\S+ \\(by its clock\\) and expires at \\S+: ` +
          'the promote is recorded, and a running `switchyard serve` takes the deploy over by then and acts on it',
      ),
    );
    expect(out).not.toContain('it acts on the promote there');

    // And a serve started afterwards takes the deploy over once it has seen the lease go unrenewed, and promotes it.
    const serve = cli(['serve']);
    await serve.untilLine((l) => l.type === 'resumed', 'the deploy to be taken over', 90_000);
    const after = await untilAppState(env.kube, (s) => s.inFlight === null, 'the promoted deploy to finish', 45_000);
    expect(after.history[0], serve.transcript()).toMatchObject({ id: left.id, phase: 'done', promotedBy: { via: 'cli', id: 'bob' } });
    expect(await serve.stop()).toBe(0);
    expect(await expectConsistent(env)).toMatchObject({ colour: 'green', version: '2.0.0' });
  }, 240_000); // two agents' start-up, a lease and a whole deploy, on a shared machine
});

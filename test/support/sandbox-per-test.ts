import { afterEach } from 'vitest';
import { startSandboxEnv, type SandboxEnv, type SandboxEnvOptions } from '../../src/sandbox/sandbox-env.js';
import { CliProcess } from './cli-process.js';

/**
 * A sandbox (stand-ins and real nodes) for each test of a describe block,
 * and the `switchyard` processes the test starts in it: all stopped after
 * each test, whatever it left running.
 *
 * @example
 * const sandbox = sandboxPerTest();
 * it('…', async () => {
 *   const env = await sandbox.start({ nodes: 3 });
 *   const deploy = sandbox.cli(['deploy', 'blog', '2.0.0', '--yes']);
 * });
 */
export function sandboxPerTest(): { start(options: SandboxEnvOptions): Promise<SandboxEnv>; cli(args: string[]): CliProcess } {
  let env: SandboxEnv | undefined;
  const processes: CliProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop();
    await env?.close();
    env = undefined;
  });
  return {
    async start(options) {
      env = await startSandboxEnv(options);
      return env;
    },
    cli(args) {
      if (!env) throw new Error('start the sandbox before its CLI');
      const p = CliProcess.start(args, env.env);
      processes.push(p);
      return p;
    },
  };
}

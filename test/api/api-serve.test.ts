import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import { expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { startSandboxEnv, type SandboxEnv } from '../../src/sandbox/sandbox-env.js';
import { describeOnFleet } from '../support/fleet.js';

describeOnFleet('switchyard serve: the HTTP API as one of its front ends', () => {
  it('serves the API with the tokens of its environment, says where, and stops it with the agent', async () => {
    const env: SandboxEnv = await startSandboxEnv({ nodes: 1 });
    try {
      const token = randomBytes(32).toString('hex');
      const interrupt = new AbortController();
      let stdout = '';
      const serving = run(['serve'], {
        env: { ...env.env, SWITCHYARD_API_TOKENS: `ci:${token}` },
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: () => undefined },
        signal: interrupt.signal,
      });
      await expect.poll(() => stdout, { timeout: 20_000 }).toMatch(/HTTP API listening on http:\/\/127\.0\.0\.1:\d+\n/);
      const url = /HTTP API listening on (\S+)/.exec(stdout)![1]!;

      const app = await fetch(`${url}/api/v1/apps/blog`, { headers: { authorization: `Bearer ${token}` } });
      expect(app.status).toBe(200);
      expect(await app.json()).toMatchObject({ app: 'blog', inFlight: null });
      expect((await fetch(`${url}/api/v1/apps/blog`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);

      interrupt.abort();
      expect(await serving).toBe(EXIT.ok);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      await env.close();
    }
  });

  it('refuses to start when the API port is taken, saying which and what to do, and leaves nothing running', async () => {
    const env: SandboxEnv = await startSandboxEnv({ nodes: 1 });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const config = parse(await readFile(env.configPath, 'utf8')) as Record<string, unknown>;
      const path = `${env.configPath}.taken.yaml`;
      await writeFile(path, stringify({ ...config, api: { port } }));
      let stderr = '';
      const code = await run(['serve', '--config', path, '--log-level', 'silent'], {
        env: env.env,
        stdout: { write: () => undefined },
        stderr: { write: (s: string) => (stderr += s) },
      });
      expect(code).toBe(EXIT.config);
      expect(stderr).toBe(`error: the HTTP API cannot listen on 127.0.0.1:${port}: EADDRINUSE — set api.port to a free port (or api.enabled: false), or stop what holds it\n`);
    } finally {
      taken.close();
      await env.close();
    }
  });
});

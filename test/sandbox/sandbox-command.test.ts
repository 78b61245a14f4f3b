import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { run } from '../../src/cli/main.js';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { env: {}, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

describe('switchyard sandbox (the command)', () => {
  it.each([['0'], ['31'], ['three'], ['2.5']])('refuses --nodes %s in one line, before starting anything', async (n) => {
    const r = await cli(['sandbox', '--nodes', n]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toBe(`error: option '--nodes <n>' argument '${n}' is invalid. a whole number from 1 to 30 — see: switchyard --help\n`);
    expect(r.stdout).toBe('');
  });

  it('is listed in the help, and its own help says what it needs and how to stop it', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/^ {2}sandbox \[options\] +try switchyard on this machine/m);
    const help = (await cli(['sandbox', '--help'])).stdout;
    expect(help).toContain('$ sudo npm run demo');
    expect(help).toContain('Needs root');
    expect(help).toContain('Ctrl-C stops it and removes everything it started');
    expect(help).toMatch(/--keep +leave the sandbox running after the deploy and rollback, with the dashboard/);
    expect(help).toContain('$ sudo npm run demo -- --keep');
  });
});

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_CODE_TABLE } from '../../src/cli/exit-codes.js';
import { runCli } from './cli-harness.js';

const NAMES = ['serve', 'deploy', 'promote', 'abort', 'rollback', 'status', 'history', 'plan', 'nodes', 'check', 'reconcile'];

describe('help', () => {
  it('lists every command, examples, the config variable and the exit code table', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stderr).toBe('');
    for (const name of NAMES) expect(stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('SWITCHYARD_CONFIG');
    for (const { code: exit, meaning } of EXIT_CODE_TABLE) expect(stdout).toContain(`${String(exit).padStart(3)}  ${meaning}`);
  });

  it('every command the program lists (including ones added later) has examples of itself', async () => {
    const { stdout } = await runCli(['--help']);
    const section = stdout.slice(stdout.indexOf('Commands:'), stdout.indexOf('Examples:'));
    const listed = [...section.matchAll(/^  ([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
    expect(listed).toEqual(expect.arrayContaining(NAMES));
    for (const name of listed) expect((await runCli([name, '--help'])).stdout).toContain(`$ switchyard ${name}`);
  });

  it.each(NAMES)('%s --help has examples of itself', async (name) => {
    const { code, stdout } = await runCli([name, '--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(`Usage: switchyard ${name}`);
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain(`$ switchyard ${name}`);
  });

  it('help <command> works too, and no command at all prints help on stderr with exit 2', async () => {
    expect((await runCli(['help', 'deploy'])).stdout).toContain('--skip-verify');
    const none = await runCli([]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toContain('Usage: switchyard');
  });

  it('the README documents the same exit codes as the code', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Command line'));
    for (const { code, meaning } of EXIT_CODE_TABLE) expect(section).toContain(`| ${code} | ${meaning} |`);
  });
});

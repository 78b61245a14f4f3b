import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sandboxDir = pathToFileURL(join(root, 'src', 'sandbox')).href;

/**
 * The module URLs a real `switchyard <args>` process loads, recorded by a
 * resolve hook (registered before tsx, so it sees what tsx resolved).
 */
async function loadedModules(dir: string, args: string[]): Promise<string[]> {
  const log = join(dir, `modules-${args.join('-')}.txt`);
  const hooks = join(dir, 'record-hooks.mjs');
  const register = join(dir, 'register.mjs');
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.RECORD_MODULES, result.url + '\\n');
  return result;
}
`,
  );
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  await promisify(execFile)(process.execPath, ['--import', register, '--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RECORD_MODULES: log },
  });
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

describe('the CLI loads what only one command needs (the sandbox, the API and dashboard) only for that command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-lazy-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([[['status', '--help']], [['serve', '--help']], [['--help']]])('%j loads the CLI but no module of src/sandbox', async (args) => {
    const modules = await loadedModules(dir, args);
    expect(modules).toContain(pathToFileURL(join(root, 'src', 'cli', 'commands', 'serve-command.ts')).href);
    expect(modules.filter((url) => url.startsWith(sandboxDir))).toEqual([]);
  });

  it('loads the API and the dashboard (which read files as they load) only when `serve` runs, not for other commands', async () => {
    const modules = await loadedModules(dir, ['status', '--help']);
    const served = [join(root, 'src', 'api'), join(root, 'src', 'dashboard')].map((d) => pathToFileURL(d).href);
    expect(modules.filter((url) => served.some((d) => url.startsWith(d)))).toEqual([]);
  });
});

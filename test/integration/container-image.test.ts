import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line)!;
    if (op === 'FROM') stages.push({ name: /\bAS\s+(\S+)$/i.exec(args!)?.[1] ?? String(stages.length), instructions: [] });
    else stages.at(-1)?.instructions.push({ op: op!, args: args! });
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const stage = (name: string): Stage => stages.find((s) => s.name === name)!;
const all = (s: Stage, op: string): string[] => s.instructions.filter((i) => i.op === op).map((i) => i.args);
/** A COPY's flags, sources and destination. */
function copyOf(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! };
}
/** A RUN's shell command without BuildKit's flags (cache mounts change where npm keeps its cache, not what it installs). */
const shellOf = (args: string): string => args.replace(/^(--\S+\s+)+/, '');
const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

describe('Dockerfile', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
  const buildConfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };

  it('has a build stage and a runtime stage that takes only dist/ from it', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(all(stage('build'), 'RUN').map(shellOf)).toEqual(['npm ci --ignore-scripts', 'npm run build']);
    // The compiler, then the dashboard's assets beside its compiled modules (dist/ is all the runtime stage takes).
    expect(pkg.scripts.build).toMatch(/^tsc -p tsconfig\.build\.json && node -e .*cpSync\('src\/dashboard\/assets', 'dist\/dashboard\/assets'/);
    const fromBuild = all(stage('runtime'), 'COPY').map(copyOf).filter((c) => c.from);
    expect(fromBuild).toEqual([{ from: 'build', sources: [`/app/${buildConfig.compilerOptions.outDir}`], dest: './dist' }]);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const sources = stages.flatMap((s) => all(s, 'COPY').map(copyOf)).filter((c) => !c.from).flatMap((c) => c.sources);
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']));
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
  });

  it('installs production dependencies only and runs the built CLI as an unprivileged user', () => {
    const runtime = stage('runtime');
    expect(all(runtime, 'RUN').map(shellOf)).toEqual(['npm ci --omit=dev --ignore-scripts']);
    const [user] = all(runtime, 'USER');
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(JSON.parse(all(runtime, 'ENTRYPOINT')[0]!)).toEqual(['node', pkg.bin.switchyard]);
    expect(JSON.parse(all(runtime, 'CMD')[0]!)).toEqual(['serve']);
  });
});

/**
 * The image without docker: each stage's COPY and RUN replayed in a folder of
 * its own, npm preferring its local cache. The build stage's `npm ci` is the
 * one step not replayed: it installs the same lock file as the checkout's
 * node_modules, which the build folder links to instead.
 */
describe('the image, built by replaying the Dockerfile', () => {
  let dir: string;
  let app: string;

  async function replay(s: Stage, into: string, others: Record<string, string>): Promise<void> {
    for (const { op, args } of s.instructions) {
      if (op === 'COPY') {
        const c = copyOf(args);
        for (const source of c.sources) {
          const from = c.from ? join(others[c.from]!, source.replace(/^\/app\//, '')) : join(root, source);
          const to = c.dest.endsWith('/') ? join(into, c.dest, source.split('/').at(-1)!) : join(into, c.dest);
          await cp(from, to, { recursive: true });
        }
      } else if (op === 'RUN') {
        const command = shellOf(args);
        if (s.name === 'build' && command === 'npm ci --ignore-scripts') await symlink(join(root, 'node_modules'), join(into, 'node_modules'));
        else await run('sh', ['-c', command], { cwd: into, env: { ...process.env, npm_config_prefer_offline: 'true' }, maxBuffer: 16 << 20 });
      }
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-image-'));
    const build = join(dir, 'build');
    app = join(dir, 'app');
    await mkdir(build);
    await mkdir(app);
    await replay(stage('build'), build, {});
    await replay(stage('runtime'), app, { build });
  }, 600_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('holds no dev dependency', async () => {
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const dev = Object.entries(lock.packages).filter(([path, p]) => p.dev && path.split('node_modules/').length === 2).map(([path]) => path.slice('node_modules/'.length));
    expect(dev).toEqual(expect.arrayContaining(['typescript', 'vitest', 'tsx', 'puppeteer-core']));
    for (const name of dev) expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
    for (const name of ['@kubernetes/client-node', '@slack/bolt', 'commander', 'node-ssh']) expect(existsSync(join(app, 'node_modules', name)), name).toBe(true);
  });

  it.each(['--help', 'serve --help'])('runs `switchyard %s` with only what it holds', async (words) => {
    const args = words.split(' ');
    const { stdout } = await run('node', ['dist/cli/main.js', ...args], { cwd: app, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' } });
    expect(stdout).toContain(args[0] === 'serve' ? 'Usage: switchyard serve' : 'Usage: switchyard');
  });

  it('holds every module and file `serve` loads at start (the API, the dashboard and its assets, Slack)', async () => {
    const modules = ['agent/load-front-ends.js', 'api/api-front-end.js', 'dashboard/dashboard-routes.js', 'chatops/slack-front-end.js'];
    const script = modules.map((m) => `await import('./dist/${m}');`).join(' ');
    await expect(run('node', ['--input-type=module', '-e', script], { cwd: app, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' } })).resolves.toBeDefined();
  });
});

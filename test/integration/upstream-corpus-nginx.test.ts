import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TOOLS } from '../../src/sandbox/fleet/fleet-prerequisites.js';
import { run } from '../../src/sandbox/fleet/run.js';
import { describeOnFleet } from '../support/fleet.js';
import { corpusDir, readable } from '../support/upstream-corpus.js';

const NGINX = TOOLS.find((t) => t.name === 'nginx')!.path;

const atLeast = (version: string, min: string): boolean => {
  const [a, b] = [version, min].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (a![i] !== b![i]) return a![i]! > b![i]!;
  return true;
};

/**
 * The corpus is made of files real nginx accepts, and so is every file a
 * switch writes from them: the flip never leaves a file `nginx -t` refuses.
 */
describeOnFleet('the upstream corpus on real nginx', () => {
  let dir: string;
  let version: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-corpus-'));
    // `nginx -v` answers on stderr, which run() only shows on failure.
    version = /nginx\/(\d+\.\d+\.\d+)/.exec(await run('sh', ['-c', `${NGINX} -v 2>&1`]))![1]!;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const nginxTest = async (file: string): Promise<void> => {
    const conf = join(dir, 'nginx.conf');
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
    await writeFile(conf, `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp { ${temp}\n  include ${join(corpusDir, file)};\n}\n`);
    await run(NGINX, ['-t', '-q', '-e', `${dir}/error.log`, '-p', `${dir}/`, '-c', conf]);
  };

  it.for(readable)('$file: nginx -t accepts it before and after the switch', async (c, { skip }) => {
    if (c.minNginx && !atLeast(version, c.minNginx)) skip(`needs nginx ${c.minNginx}; this is ${version}`);
    await expect(nginxTest(`${c.file}.conf`)).resolves.toBeUndefined();
    await expect(nginxTest(`${c.file}.flipped.conf`)).resolves.toBeUndefined();
  });
});

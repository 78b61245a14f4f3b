/**
 * `npm run bench [name...]`: runs each benchmark in bench/*.bench.ts and prints
 * one JSON object per line, each with a "name". Benchmarks never assert times;
 * they print figures beside a baseline measured in the same run.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Bench = () => AsyncIterable<Record<string, unknown> & { name: string }>;

const here = dirname(fileURLToPath(import.meta.url));
const wanted = new Set(process.argv.slice(2));
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
let failed = false;
for (const file of files) {
  const name = basename(file, '.bench.ts');
  if (wanted.size > 0 && !wanted.has(name)) continue;
  const mod = (await import(join(here, file))) as { default: Bench };
  try {
    for await (const figures of mod.default()) console.log(JSON.stringify(figures));
  } catch (err) {
    failed = true;
    console.error(`bench ${name} failed: ${err instanceof Error ? err.stack : err}`);
  }
}
process.exitCode = failed ? 1 : 0;

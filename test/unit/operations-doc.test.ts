import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../src/errors/error-table.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const doc = readFileSync(join(root, 'docs/operations.md'), 'utf8');
const failures = doc.slice(doc.indexOf('## When a deploy fails'));

describe('docs/operations.md', () => {
  it.each(Object.keys(ERROR_TABLE))('says what %s means and how to fix it', (code) => {
    const row = new RegExp(`^\\| \`${code}\` \\| ([^|]*(?:\\\\\\|[^|]*)*) \\| (.+) \\|$`, 'm').exec(failures);
    expect(row, `a row for ${code} in "When a deploy fails"`).not.toBeNull();
    expect(row![1]!.trim().length).toBeGreaterThan(10);
    expect(row![2]!.trim().length).toBeGreaterThan(10);
  });

  it('documents no code the table does not have', () => {
    const documented = [...failures.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_TABLE).sort());
  });

  it('links only to files that exist', () => {
    const links = [...doc.matchAll(/\]\((?!https?:)([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(3);
    for (const link of links) expect(existsSync(join(root, 'docs', link)), link).toBe(true);
  });

  it('names only repository files that exist', () => {
    // config/switchyard.yaml is where the operator's own config goes by default, not a file of the repository.
    const paths = [...doc.matchAll(/`((?:deploy|salt|config|src|test)\/[\w./-]+)`/g)].map((m) => m[1]!).filter((p) => p !== 'config/switchyard.yaml');
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) expect(existsSync(join(root, path)), path).toBe(true);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testTitles } from '../support/test-titles.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

/** `test/e2e/faults.test.ts` › "a test's name": the document's way of citing a test. */
const CITATION = /`(test\/[\w./-]+\.test\.ts)` › "([^"\n]+)"/g;
/** A path into the code or the tests, in backticks. */
const PATH = /`((?:src|test)\/[\w./-]*)`/g;

const citations = [...doc.matchAll(CITATION)].map(([, file, name]) => ({ file: file!, name: name! }));

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('docs/architecture.md', () => {
  it('cites only test names their files still have', () => {
    expect(citations.length).toBeGreaterThan(50);
    const titles = new Map<string, Set<string>>();
    const missing = citations.flatMap(({ file, name }) => {
      if (!existsSync(join(root, file))) return [`${file} (no such file)`];
      if (!titles.has(file)) titles.set(file, testTitles(readFileSync(join(root, file), 'utf8')));
      return titles.get(file)!.has(name) ? [] : [`${file} › "${name}"`];
    });
    expect(missing).toEqual([]);
  });

  it('names only files and folders of src/ and test/ that exist', () => {
    const paths = [...new Set([...doc.matchAll(PATH)].map(([, path]) => path!))];
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });

  it('says for each of the 14 invariants which tests prove it, or that none does yet', () => {
    const section = doc.slice(doc.indexOf('## 5. Invariants'), doc.indexOf('\n## 6.'));
    const invariants = section.split(/^### /m).slice(1);
    expect(invariants.map((text) => Number.parseInt(text, 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const cites = new RegExp(CITATION.source);
    expect(invariants.filter((text) => !cites.test(text) && !text.includes('Not proven by a test'))).toEqual([]);
  });

  it('is in the repository, as is every other Markdown file src/ and test/ name', () => {
    const named = ['src', 'test'].flatMap(filesUnder).flatMap((file) =>
      [...readFileSync(join(root, file), 'utf8').matchAll(/[\w./-]+\.md\b/g)].map(([md]) => ({ file, md: md! })),
    );
    const absent = named.filter(({ file, md }) => !existsSync(join(root, md)) && !existsSync(join(root, dirname(file), md)));
    expect(absent).toEqual([]);
  });
});

describe('testTitles', () => {
  const source = `
    describe('a group', () => {
      it('a test', () => {});
      it.skipIf(REAL)('a skipped test', () => {});
      it(\`made at \${run} time\`, () => {});
      it.each(cases)('%s: ends consistent', () => {});
      it.each(rows([{ name: 'a row by name', rec: 1 }]))('%s', () => {});
    });
    const cases: [string, Kill][] = [['a row', { phase: 'waiting' }]];
    helper('not a test', () => {});
  `;

  it('finds titles, the skipped too, and the labels of rows written in the file', () => {
    expect([...testTitles(source)].sort()).toEqual(['%s', '%s: ends consistent', 'a group', 'a row', 'a row by name', 'a skipped test', 'a test']);
  });
});

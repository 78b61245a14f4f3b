import ts from 'typescript';

/** The functions that name a test or a group of tests (describeOnFleet is test/support/fleet.ts's). */
const TEST_FUNCTIONS = new Set(['describe', 'it', 'test', 'describeOnFleet']);

/**
 * The names a test file gives its tests, read from its source: the title of
 * every describe, it and test call (with .skipIf, .each and the like), and
 * for a table-driven test (`.each` or `.for` over a table written in the
 * same file) the label of each row: its first element, or its `name`. Titles
 * made at run time (a template with `${...}`, a table from another file) are
 * not known here, so a document cannot cite them.
 *
 * @example
 * testTitles(`it.each([['a ReplicaSet', 1]])('%s', ...)`); // Set { '%s', 'a ReplicaSet' }
 */
export function testTitles(source: string): Set<string> {
  const file = ts.createSourceFile('cited.test.ts', source, ts.ScriptTarget.Latest, true);
  const titles = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && TEST_FUNCTIONS.has(rootName(node.expression))) {
      const title = node.arguments[0];
      if (title && ts.isStringLiteralLike(title)) titles.add(title.text);
      const table = tableOf(node.expression);
      if (table) for (const label of rowLabels(table, file)) titles.add(label);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return titles;
}

/** `it` of `it.skipIf(x).each(rows)`. */
function rootName(callee: ts.Expression): string {
  let e = callee;
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e)) e = e.expression;
  return ts.isIdentifier(e) ? e.text : '';
}

/** The table of `it.each(table)` or `it.for(table)`, when `callee` is one. */
function tableOf(callee: ts.Expression): ts.Expression | undefined {
  if (!ts.isCallExpression(callee) || !ts.isPropertyAccessExpression(callee.expression)) return undefined;
  return ['each', 'for'].includes(callee.expression.name.text) ? callee.arguments[0] : undefined;
}

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

/** Each row's label; a table given by name is looked up in the same file, one built by a helper (`rows([...])`) is read through it. */
function rowLabels(table: ts.Expression, file: ts.SourceFile): string[] {
  const e = unwrap(table);
  if (ts.isIdentifier(e)) {
    const init = declaration(file, e.text)?.initializer;
    return init ? rowLabels(init, file) : [];
  }
  if (ts.isCallExpression(e)) return e.arguments.flatMap((a) => rowLabels(a, file));
  if (!ts.isArrayLiteralExpression(e)) return [];
  return e.elements.flatMap((row) => {
    const label = labelOf(unwrap(row));
    return label === undefined ? [] : [label];
  });
}

function labelOf(row: ts.Expression): string | undefined {
  if (ts.isStringLiteralLike(row)) return row.text;
  if (ts.isArrayLiteralExpression(row)) {
    const first = row.elements[0];
    return first && ts.isStringLiteralLike(first) ? first.text : undefined;
  }
  if (ts.isObjectLiteralExpression(row)) {
    const name = row.properties.find((p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'name');
    return name && ts.isPropertyAssignment(name) && ts.isStringLiteralLike(name.initializer) ? name.initializer.text : undefined;
  }
  return undefined;
}

function declaration(file: ts.SourceFile, name: string): ts.VariableDeclaration | undefined {
  let found: ts.VariableDeclaration | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name) found = node;
    else ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

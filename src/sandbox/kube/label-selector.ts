import { KubeStatusError } from './kube-object.js';

/**
 * Label selectors as the API server parses them: `a=b`, `a==b`, `a!=b`,
 * `a in (x,y)`, `a notin (x,y)`, `a` (exists) and `!a` (does not exist),
 * joined by commas.
 *
 * @example
 * const matches = parseLabelSelector('app=blog,switchyard/colour in (blue,green)');
 * matches({ app: 'blog', 'switchyard/colour': 'blue' }); // true
 */
export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

const KEY = /^([a-z0-9A-Z]([a-z0-9A-Z.-]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([a-z0-9A-Z_.-]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([a-z0-9A-Z_.-]*[a-z0-9A-Z])?)?$/;

function invalid(selector: string, why: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', `unable to parse requirement: ${why} in selector ${JSON.stringify(selector)}`);
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string, selector: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    return { op: set[2] as 'in' | 'notin', key: checkKey(set[1]!, selector), values: values.map((v) => checkValue(v, selector)) };
  }
  const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const op = cmp[2] === '!=' ? 'neq' : 'eq';
    return { op, key: checkKey(cmp[1]!, selector), value: checkValue(cmp[3]!, selector) };
  }
  if (term.startsWith('!')) return { op: 'notexists', key: checkKey(term.slice(1).trim(), selector) };
  return { op: 'exists', key: checkKey(term, selector) };
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key) || key.length > 317) throw invalid(selector, `invalid label key ${JSON.stringify(key)}`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value) || value.length > 63) throw invalid(selector, `invalid label value ${JSON.stringify(value)}`);
  return value;
}

function test(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && value === r.value;
    case 'neq':
      return !has || value !== r.value;
    case 'in':
      return has && r.values.includes(value!);
    case 'notin':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

export function parseLabelSelector(selector: string | undefined): LabelMatcher {
  const requirements = selector ? splitTerms(selector).map((t) => parseTerm(t, selector)) : [];
  return (labels) => requirements.every((r) => test(r, labels ?? {}));
}

/**
 * Field selectors: the few fields the real server supports on every object
 * (metadata.name, metadata.namespace) plus a pod's status.phase, with = == !=.
 */
export function parseFieldSelector(selector: string | undefined): (obj: { metadata: { name: string; namespace?: string }; status?: unknown }) => boolean {
  if (!selector) return () => true;
  const reqs = splitTerms(selector).map((term) => {
    const m = /^([a-zA-Z.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m || !['metadata.name', 'metadata.namespace', 'status.phase'].includes(m[1]!)) {
      throw new KubeStatusError(400, 'BadRequest', `field label not supported: ${JSON.stringify(term)}`);
    }
    return { field: m[1]!, negate: m[2] === '!=', value: m[3]! };
  });
  return (obj) =>
    reqs.every((r) => {
      const actual =
        r.field === 'metadata.name'
          ? obj.metadata.name
          : r.field === 'metadata.namespace'
            ? (obj.metadata.namespace ?? '')
            : String((obj.status as { phase?: string } | undefined)?.phase ?? '');
      return (actual === r.value) !== r.negate;
    });
}

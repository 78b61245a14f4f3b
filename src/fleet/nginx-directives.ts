import { SwitchyardError } from '../errors/switchyard-error.js';

/** One word of a directive and where it sits in the text (offsets, end exclusive), so a caller can change it alone. */
export interface NginxWord {
  /** The word as nginx reads it: quotes and backslash escapes removed. */
  value: string;
  start: number;
  end: number;
  /** 1-based, for messages. */
  line: number;
}

/** A directive: its words, the name first, and for a block directive (`upstream blogLB { ... }`) what the block holds. */
export interface NginxDirective {
  words: NginxWord[];
  line: number;
  block?: NginxDirective[];
}

const SPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * Reads an nginx config file into directives, splitting words as nginx does
 * (ngx_conf_read_token): `#` starts a comment only where a word could start,
 * so a brace, a `down` or a port in a comment is never a directive, while
 * `a#b` is one word; quotes and backslashes escape; a word ends at
 * whitespace, `;` or `{` (but `${` stays in it). A file nginx would refuse
 * (an unbalanced brace, an unterminated quote) is refused here too.
 *
 * @example
 * readNginxDirectives('upstream b { server 127.0.0.1:30000; }', 'b.conf')[0]!.block![0]!.words.map((w) => w.value)
 * // ['server', '127.0.0.1:30000']
 */
export function readNginxDirectives(text: string, where: string): NginxDirective[] {
  const top: NginxDirective[] = [];
  const open: NginxDirective[][] = [top];
  let words: NginxWord[] = [];
  let line = 1;
  let i = 0;
  const fail = (what: string): never => {
    throw new SwitchyardError('upstream-invalid', `${where}: ${what} on line ${line}`, {
      hint: `fix ${where} so that \`nginx -t\` accepts it, then try again`,
    });
  };

  while (i < text.length) {
    const ch = text[i]!;
    if (SPACE.has(ch)) {
      if (ch === '\n') line++;
      i++;
    } else if (ch === '#') {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? text.length : eol;
    } else if (ch === ';' || ch === '{') {
      if (words.length === 0) fail(`unexpected "${ch}"`);
      const directive: NginxDirective = { words, line: words[0]!.line, ...(ch === '{' ? { block: [] } : {}) };
      open.at(-1)!.push(directive);
      if (directive.block) open.push(directive.block);
      words = [];
      i++;
    } else if (ch === '}') {
      if (words.length > 0 || open.length === 1) fail('unexpected "}"');
      open.pop();
      i++;
    } else {
      const start = i;
      const startLine = line;
      const quote = ch === '"' || ch === "'" ? ch : null;
      let value = '';
      if (quote) i++;
      for (;;) {
        if (i >= text.length) {
          if (quote) fail('unterminated quoted string');
          break;
        }
        const c = text[i]!;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          if (text[i + 1] === '\n') line++;
          i += 2;
          continue;
        }
        if (quote) {
          i++;
          if (c === quote) break;
          if (c === '\n') line++;
          value += c;
          continue;
        }
        if (SPACE.has(c) || c === ';' || (c === '{' && text[i - 1] !== '$')) break;
        value += c;
        i++;
      }
      const next = text[i];
      if (quote && next !== undefined && !SPACE.has(next) && next !== ';' && next !== '{') fail(`unexpected "${next}" after a quoted word`);
      words.push({ value, start, end: i, line: startLine });
    }
  }
  if (words.length > 0 || open.length > 1) fail('unexpected end of file');
  return top;
}

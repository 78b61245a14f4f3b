import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { remoteScript, shellQuote } from '../../src/fleet/shell-quote.js';

const hostile = [
  `'; rm -rf / #`,
  '$(touch /tmp/pwned)',
  '`id`',
  'a b\tc\nd',
  `it's "quoted" \\ back`,
  '${IFS}x',
  '-n',
  '',
  '*',
  "'",
  'é ☃ 日本',
];

describe('shellQuote', () => {
  it.each(hostile)('passes %j through a real shell as one word', (arg) => {
    const out = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(arg)}`]).toString();
    expect(out).toBe(arg);
  });

  it('leaves plain words bare', () => {
    expect(shellQuote('/etc/nginx/backends.d/blog.conf')).toBe('/etc/nginx/backends.d/blog.conf');
  });

  it('refuses NUL', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('remoteScript', () => {
  it.each(hostile)('delivers %j as a positional parameter, never as code', (arg) => {
    const command = remoteScript('printf "%s|%s" "$1" "$2"', [arg, 'second']);
    const out = execFileSync('sh', ['-c', command]).toString();
    expect(out).toBe(`${arg}|second`);
  });

  it('prefixes sudo -n when asked', () => {
    expect(remoteScript('true', [], { sudo: true })).toBe('sudo -n sh -c true switchyard');
  });
});

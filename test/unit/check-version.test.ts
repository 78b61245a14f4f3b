import { describe, expect, it } from 'vitest';
import { checkVersion } from '../../src/validate/patterns.js';

/**
 * A version becomes an image tag and the `switchyard/version` label, so it is
 * checked as Kubernetes checks a label value (and never empty): what passes
 * here, the API server accepts.
 */
describe('checkVersion', () => {
  it.each([
    ['a date stamp', '20151025.143403'],
    ['semver with a pre-release', '1.2.3-rc.1'],
    ['one character', '7'],
    ['underscores inside', 'build_42_a'],
    ['upper case', 'V2.0'],
    ['63 characters', `a${'b'.repeat(61)}c`],
  ])('accepts %s', (_, version) => {
    expect(checkVersion(version)).toBe(version);
  });

  it.each([
    ['empty', ''],
    ['64 characters', 'a'.repeat(64)],
    ['70 characters (an OCI tag, not a label value)', '1'.repeat(70)],
    ['a leading underscore', '_build'],
    ['a leading dot', '.1'],
    ['a leading dash', '-1'],
    ['a trailing dot', '1.0.'],
    ['a trailing dash', '1.0-'],
    ['a trailing underscore', '1.0_'],
    ['a plus (semver build metadata)', '1.0.0+build'],
    ['a colon', 'repo:1.0'],
    ['a slash', 'a/b'],
    ['a space', '1.0 beta'],
    ['a shell metacharacter', '1.0;reboot'],
    ['a newline at the end', '1.0\n'],
    ['non-ASCII letters', 'versión'],
  ])('refuses %s with the rule as its hint', (_, version) => {
    let error: unknown;
    try {
      checkVersion(version);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ name: 'SwitchyardError', code: 'input-invalid', message: expect.stringMatching(/^invalid version /) });
    expect((error as { hint: string }).hint).toMatch(/1 to 63 letters, digits, "\.", "_" and "-", starting and ending with a letter or digit/);
  });

  it('shortens a long version in its message and says how long it was', () => {
    expect(() => checkVersion('1'.repeat(70))).toThrow(/^invalid version "1{40}"… \(70 characters\)$/);
  });
});

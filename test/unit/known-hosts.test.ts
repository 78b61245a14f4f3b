import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KnownHosts, hostKeyAlgorithms, knownHostsName } from '../../src/fleet/known-hosts.js';

const keyA = randomBytes(51);
const keyB = randomBytes(51);
const b64 = (b: Buffer): string => b.toString('base64');
const hashed = (host: string): string => {
  const salt = randomBytes(20);
  return `|1|${b64(salt)}|${b64(createHmac('sha1', salt).update(host).digest())}`;
};

describe('KnownHosts', () => {
  it.each([
    ['plain address', `10.0.1.11 ssh-ed25519 ${b64(keyA)}`, '10.0.1.11', 22],
    ['one of several names', `node-a,10.0.1.11 ssh-ed25519 ${b64(keyA)}`, '10.0.1.11', 22],
    ['hashed (HashKnownHosts yes)', `${hashed('10.0.1.11')} ssh-ed25519 ${b64(keyA)}`, '10.0.1.11', 22],
    ['non-standard port', `[10.0.1.11]:2222 ssh-ed25519 ${b64(keyA)}`, '10.0.1.11', 2222],
    ['wildcard', `10.0.1.* ssh-ed25519 ${b64(keyA)}`, '10.0.1.11', 22],
  ])('trusts the right key: %s', (_, line, host, port) => {
    const known = KnownHosts.parse(`# comment\n\n${line}\n`);
    expect(known.verify(host, port, keyA)).toBe('trusted');
    expect(known.verify(host, port, keyB)).toBe('changed');
    expect(known.keyTypes(host, port)).toEqual(['ssh-ed25519']);
  });

  it('treats a host it has no line for as unknown', () => {
    const known = KnownHosts.parse(`10.0.1.11 ssh-ed25519 ${b64(keyA)}\n[10.0.1.12]:2222 ssh-ed25519 ${b64(keyA)}`);
    expect(known.verify('10.0.1.12', 22, keyA)).toBe('unknown-host');
    expect(known.verify('10.0.1.11', 2222, keyA)).toBe('unknown-host');
    expect(known.keyTypes('10.0.1.13', 22)).toEqual([]);
  });

  it('honours negated patterns and revoked keys', () => {
    const known = KnownHosts.parse(`10.0.1.*,!10.0.1.66 ssh-ed25519 ${b64(keyA)}\n@revoked * ssh-ed25519 ${b64(keyB)}`);
    expect(known.verify('10.0.1.66', 22, keyA)).toBe('unknown-host');
    expect(known.verify('10.0.1.5', 22, keyB)).toBe('changed');
  });

  it('trusts nothing through @cert-authority lines, which it does not support', () => {
    const known = KnownHosts.parse(`@cert-authority * ssh-ed25519 ${b64(keyA)}`);
    expect(known.verify('10.0.1.5', 22, keyA)).toBe('unknown-host');
  });

  it('names hosts as OpenSSH writes them and maps key types to algorithms', () => {
    expect(knownHostsName('10.0.1.11', 22)).toBe('10.0.1.11');
    expect(knownHostsName('10.0.1.11', 2222)).toBe('[10.0.1.11]:2222');
    expect(hostKeyAlgorithms(['ssh-rsa', 'ssh-ed25519'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });
});

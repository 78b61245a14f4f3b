import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * An OpenSSH known_hosts file: which host keys a node may present. ssh2 accepts
 * any host key unless told otherwise, so every connection checks the key it is
 * offered against this list.
 */
export interface KnownHostKey {
  type: string;
  key: Buffer;
}

export type HostKeyVerdict = 'trusted' | 'unknown-host' | 'changed';

interface Entry {
  matches: (host: string) => boolean;
  negated: (host: string) => boolean;
  type: string;
  key: Buffer;
  revoked: boolean;
}

/** `[addr]:port` unless the port is 22, as OpenSSH writes it. */
export const knownHostsName = (address: string, port: number): string => (port === 22 ? address : `[${address}]:${port}`);

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hostMatcher(pattern: string): (host: string) => boolean {
  // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, host))
  const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (hashed) {
    const salt = Buffer.from(hashed[1]!, 'base64');
    const want = Buffer.from(hashed[2]!, 'base64');
    return (host) => {
      const got = createHmac('sha1', salt).update(host).digest();
      return got.length === want.length && timingSafeEqual(got, want);
    };
  }
  const re = globToRegExp(pattern);
  return (host) => re.test(host);
}

export class KnownHosts {
  private readonly entries: Entry[];

  private constructor(entries: Entry[]) {
    this.entries = entries;
  }

  /**
   * @example
   * const known = KnownHosts.parse(await readFile('~/.ssh/known_hosts', 'utf8'));
   * known.verify('10.0.1.11', 22, offeredKeyBlob) // 'trusted' | 'unknown-host' | 'changed'
   */
  static parse(text: string): KnownHosts {
    const entries: Entry[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const fields = line.split(/\s+/);
      let marker: string | undefined;
      if (fields[0]!.startsWith('@')) marker = fields.shift();
      if (marker === '@cert-authority') continue; // certificates are not supported; such lines trust nothing
      const [hosts, type, key] = fields;
      if (!hosts || !type || !key) continue;
      const patterns = hosts.split(',');
      const positive = patterns.filter((p) => !p.startsWith('!')).map(hostMatcher);
      const negative = patterns.filter((p) => p.startsWith('!')).map((p) => hostMatcher(p.slice(1)));
      entries.push({
        matches: (h) => positive.some((m) => m(h)),
        negated: (h) => negative.some((m) => m(h)),
        type,
        key: Buffer.from(key, 'base64'),
        revoked: marker === '@revoked',
      });
    }
    return new KnownHosts(entries);
  }

  private entriesFor(address: string, port: number): Entry[] {
    const name = knownHostsName(address, port);
    return this.entries.filter((e) => e.matches(name) && !e.negated(name));
  }

  /** Key types known for a host, to offer only those in the key exchange. */
  keyTypes(address: string, port: number): string[] {
    return [...new Set(this.entriesFor(address, port).filter((e) => !e.revoked).map((e) => e.type))];
  }

  verify(address: string, port: number, offered: Buffer): HostKeyVerdict {
    const entries = this.entriesFor(address, port);
    const same = (e: Entry): boolean => e.key.length === offered.length && timingSafeEqual(e.key, offered);
    if (entries.some((e) => e.revoked && same(e))) return 'changed';
    if (entries.some((e) => !e.revoked && same(e))) return 'trusted';
    return entries.some((e) => !e.revoked) ? 'changed' : 'unknown-host';
  }
}

/** ssh2 host key algorithm names for a known_hosts key type. */
export function hostKeyAlgorithms(types: string[]): string[] {
  return types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
}

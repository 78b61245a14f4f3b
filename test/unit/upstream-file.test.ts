import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderUpstreamFile } from '../../src/fleet/nginx-templates.js';
import { parseUpstream, renderUpstream, upstreamName } from '../../src/fleet/upstream-file.js';
import { otherColour } from '../../src/validate/patterns.js';
import { appOf, corpusDir, fixture, readable, refused, where } from '../support/upstream-corpus.js';

describe('the upstream corpus', () => {
  it('has a case in this table for every file in the folder, and an expected flip for every readable one', () => {
    const files = readdirSync(corpusDir).filter((f) => f.endsWith('.conf')).sort();
    const expected = [...readable.flatMap((c) => [`${c.file}.conf`, `${c.file}.flipped.conf`]), ...refused.map((c) => `${c.file}.conf`)].sort();
    expect(files).toEqual(expected);
  });

  describe.each(readable)('$file', (c) => {
    const text = fixture(`${c.file}.conf`);
    const flipped = fixture(`${c.file}.flipped.conf`);
    const app = appOf(c);
    const other = otherColour(c.live);

    it(`reads ${c.live} live`, () => {
      expect(parseUpstream(text, app, where).live).toBe(c.live);
    });

    it('switches to the other colour changing only the down flags of the app\'s upstream', () => {
      expect(renderUpstream(text, app, other, where)).toBe(flipped);
      expect(parseUpstream(flipped, app, where).live).toBe(other);
    });

    it('changes nothing when switching to the colour already live', () => {
      expect(renderUpstream(text, app, c.live, where)).toBe(text);
      expect(renderUpstream(flipped, app, other, where)).toBe(flipped);
    });

    it('switches back, and forth again to the same bytes', () => {
      const back = renderUpstream(flipped, app, c.live, where);
      expect(parseUpstream(back, app, where).live).toBe(c.live);
      expect(renderUpstream(back, app, other, where)).toBe(flipped);
    });
  });

  describe.each(refused)('$file', (c) => {
    const text = fixture(`${c.file}.conf`);
    const app = appOf({});

    it.each(['reading', 'switching'] as const)(`refuses %s it: ${c.code}, naming the file, the upstream and what to fix`, (doing) => {
      let error: unknown;
      try {
        if (doing === 'reading') parseUpstream(text, app, where);
        else renderUpstream(text, app, 'green', where);
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ name: 'SwitchyardError', code: c.code });
      const { message, hint } = error as { message: string; hint: string };
      expect(message.startsWith(where)).toBe(true);
      expect(message).toMatch(c.message);
      expect(hint).toMatch(c.hint);
    });
  });
});

describe('upstreamName', () => {
  it('is <app>LB unless the config names one', () => {
    expect(upstreamName({ name: 'blog' })).toBe('blogLB');
    expect(upstreamName({ name: 'blog', upstreamName: 'blog_backend' })).toBe('blog_backend');
  });

  it('reads the upstream the config names, not <app>LB', () => {
    const text = fixture('custom-name.conf');
    expect(parseUpstream(text, { name: 'blog', portBase: 30000, upstreamName: 'blog_backend' }, where).live).toBe('green');
    // The file's blogLB names blue alone: not the app's upstream, and not a valid one to switch.
    expect(() => parseUpstream(text, { name: 'blog', portBase: 30000 }, where)).toThrow(/upstream blogLB has no server on port 30001 \(green\)/);
  });
});

describe('another app in the same file', () => {
  it('reads and switches only its own upstream', () => {
    const text = fixture('several-upstreams.conf');
    const www = { name: 'www', portBase: 30010 };
    expect(parseUpstream(text, www, where).live).toBe('green');
    const out = renderUpstream(text, www, 'blue', where);
    expect(out).toBe(text.replace('30010 down;\n    server 127.0.0.1:30011;', '30010;\n    server 127.0.0.1:30011 down;'));
    expect(parseUpstream(out, { name: 'blog', portBase: 30000 }, where).live).toBe('blue');
  });
});

describe('renderUpstreamFile', () => {
  it.each(['blue', 'green'] as const)('renders %s live from the template', (live) => {
    const text = renderUpstreamFile({ name: 'blog', portBase: 30000 }, live);
    expect(text).toContain('upstream blogLB {');
    expect(parseUpstream(text, { name: 'blog', portBase: 30000 }, 'f').live).toBe(live);
  });

  it('renders the corpus\'s template case byte for byte', () => {
    expect(renderUpstreamFile({ name: 'blog', portBase: 30000 }, 'blue')).toBe(fixture('template.conf'));
  });

  it('names the configured upstream', () => {
    const text = renderUpstreamFile({ name: 'blog', portBase: 30000, upstreamName: 'blog_backend' }, 'green');
    expect(text).toContain('upstream blog_backend {');
    expect(parseUpstream(text, { name: 'blog', portBase: 30000, upstreamName: 'blog_backend' }, 'f').live).toBe('green');
  });

  it('refuses a colour that is neither blue nor green before rendering a file with both down', () => {
    expect(() => renderUpstreamFile({ name: 'blog', portBase: 30000 }, 'red' as never)).toThrow(/both colours down/);
  });
});

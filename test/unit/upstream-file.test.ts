import { describe, expect, it } from 'vitest';
import { parseUpstream, renderUpstream } from '../../src/fleet/upstream-file.js';
import { renderUpstreamFile } from '../../src/fleet/nginx-templates.js';

const blueLive = `upstream blogLB {
    server 127.0.0.1:30000;
    server 127.0.0.1:30001 down;
}
`;

const rich = `# managed by salt: only the down flags are switchyard's
upstream blogLB {
    keepalive 16;
    server   127.0.0.1:30001   weight=5 max_fails=3 fail_timeout=10s  down ;  # green
    server 127.0.0.1:30000 weight=5 max_fails=3;#blue
    # server 127.0.0.1:30001;   (commented out, ignored)
}

upstream other { server 127.0.0.1:30010; server 127.0.0.1:30011 down; }
`;

describe('parseUpstream', () => {
  it.each([
    ['plain file', blueLive, 'blue'],
    ['odd spacing, comments, params, green first', rich, 'blue'],
    ['green live', blueLive.replace('30000;', '30000 down;').replace('30001 down;', '30001;'), 'green'],
    ['one line', 'upstream blogLB{server 127.0.0.1:30000 down;server 127.0.0.1:30001;}', 'green'],
    ['tabs', 'upstream blogLB {\n\tserver\t127.0.0.1:30000\tdown;\n\tserver\t127.0.0.1:30001;\n}', 'green'],
  ])('%s', (_, text, live) => {
    expect(parseUpstream(text, 30000, 'blog.conf').live).toBe(live);
  });

  it.each([
    ['both down', blueLive.replace('30000;', '30000 down;'), /both colours down/],
    ['both up', blueLive.replace('30001 down;', '30001;'), /both colours up/],
    ['missing green', 'upstream blogLB { server 127.0.0.1:30000; }', /no server on port 30001 \(green\)/],
    ['empty file', '', /no server on port 30000 \(blue\)/],
    ['green only in a comment', 'upstream b { server 127.0.0.1:30000; # server 127.0.0.1:30001 down;\n}', /no server on port 30001/],
    ['a colour both up and down', blueLive.replace('}', '    server 10.0.0.1:30001;\n}'), /marks green both up and down \(lines 3, 4\)/],
  ])('refuses %s', (_, text, message) => {
    expect(() => parseUpstream(text, 30000, 'node-a:blog.conf')).toThrow(message);
  });

  it('names the file in its errors', () => {
    expect(() => parseUpstream('', 30000, 'node-a:/etc/nginx/backends.d/blog.conf')).toThrow(/^node-a:\/etc\/nginx/);
  });

  it('ignores servers of other apps', () => {
    expect(parseUpstream(rich, 30010, 'f').live).toBe('blue');
  });
});

describe('renderUpstream', () => {
  it('flips only the down flags, keeping every other byte', () => {
    const out = renderUpstream(rich, 30000, 'green', 'f');
    expect(out).toBe(rich
      .replace('fail_timeout=10s  down ;', 'fail_timeout=10s ;')
      .replace('max_fails=3;#blue', 'max_fails=3 down;#blue'));
    expect(parseUpstream(out, 30000, 'f').live).toBe('green');
    expect(parseUpstream(out, 30010, 'f').live).toBe('blue');
  });

  it('round-trips blue → green → blue to the original text', () => {
    const green = renderUpstream(blueLive, 30000, 'green', 'f');
    expect(green).toBe('upstream blogLB {\n    server 127.0.0.1:30000 down;\n    server 127.0.0.1:30001;\n}\n');
    expect(renderUpstream(green, 30000, 'blue', 'f')).toBe(blueLive);
  });

  it('is idempotent: switching to the live colour changes nothing', () => {
    expect(renderUpstream(rich, 30000, 'blue', 'f')).toBe(rich);
  });

  it('handles directives sharing a line', () => {
    const text = 'upstream b{server 127.0.0.1:30000;server 127.0.0.1:30001 down;}';
    expect(renderUpstream(text, 30000, 'green', 'f')).toBe('upstream b{server 127.0.0.1:30000 down;server 127.0.0.1:30001;}');
  });

  it.each([
    ['both down', blueLive.replace('30000;', '30000 down;')],
    ['both up', blueLive.replace('30001 down;', '30001;')],
  ])('refuses to render from a file with %s', (_, text) => {
    expect(() => renderUpstream(text, 30000, 'green', 'f')).toThrow(/cannot tell which colour is live/);
  });

  it('flips a colour in every upstream that names it, and refuses a file where a colour disagrees with itself', () => {
    const text = 'upstream b {\n server 127.0.0.1:30000 down;\n server 127.0.0.1:30001;\n}\nupstream c {\n server 127.0.0.1:30000 down;\n}';
    const out = renderUpstream(text, 30000, 'blue', 'f');
    expect(parseUpstream(out, 30000, 'f').live).toBe('blue');
    const mixed = text.replace('upstream c {\n server 127.0.0.1:30000 down;', 'upstream c {\n server 127.0.0.1:30000;');
    expect(() => renderUpstream(mixed, 30000, 'green', 'f')).toThrow(/marks blue both up and down/);
  });
});

describe('renderUpstreamFile', () => {
  it.each(['blue', 'green'] as const)('renders %s live from the template', (live) => {
    const text = renderUpstreamFile({ name: 'blog', portBase: 30000 }, live);
    expect(text).toContain('upstream blogLB {');
    expect(parseUpstream(text, 30000, 'f').live).toBe(live);
  });

  it('refuses a colour that is neither blue nor green before rendering a file with both down', () => {
    expect(() => renderUpstreamFile({ name: 'blog', portBase: 30000 }, 'red' as never)).toThrow(/both colours down/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { renderVhostFile } from '../../src/fleet/nginx-templates.js';
import { productionPreview } from '../../src/preview/production-preview.js';

const config = (preview: string): string => `
discovery:
  static: [ { name: node-a, address: 10.0.1.11 } ]
ssh: { user: deploy, privateKeyPath: keys/id, knownHostsPath: keys/known_hosts }
apps:
  - { name: blog, namespace: blog, portBase: 30000, preview: ${preview} }
`;

const vhost = { listen: '80', serverName: 'blog.example.com', backendsDir: '/etc/nginx/backends.d' };

describe('apps[].preview', () => {
  it('fills the header, cookie and its lifetime by default', () => {
    expect(parseConfig(config('{}'), 'sy.yaml').apps[0]!.preview).toEqual({ header: 'X-Switchyard-Preview', cookie: 'switchyard_preview', cookieMaxAgeSeconds: 3600 });
  });

  it.each([
    ['a header nginx cannot name as a variable', '{ header: "X-Preview;" }', 'apps[0].preview.header: a header name'],
    ['a cookie name with a dash ($cookie_ takes none)', '{ cookie: preview-colour }', 'apps[0].preview.cookie: a cookie name'],
    ['a cookie that outlives a day', '{ cookieMaxAgeSeconds: 604800 }', 'apps[0].preview.cookieMaxAgeSeconds'],
    ['a url with a path (the links add theirs)', '{ url: "https://blog.example.com/x" }', 'apps[0].preview.url: the vhost\'s scheme and host'],
  ])('refuses %s, naming the key', (_what, preview, message) => {
    expect(() => parseConfig(config(preview), 'sy.yaml')).toThrow(message);
  });

  it('tells messages the header, and the cookie links only when the vhost\'s url is known', () => {
    const [withUrl] = parseConfig(config('{ url: "https://blog.example.com" }'), 'sy.yaml').apps;
    expect(productionPreview(withUrl!, 'blue')).toEqual({
      header: 'X-Switchyard-Preview: blue',
      link: 'https://blog.example.com/.switchyard/preview/blue',
      off: 'https://blog.example.com/.switchyard/preview/off',
      cookieMaxAgeSeconds: 3600,
    });
    expect(productionPreview(parseConfig(config('{ header: X-Colour }'), 'sy.yaml').apps[0]!, 'green')).toEqual({ header: 'X-Colour: green', cookieMaxAgeSeconds: 3600 });
    expect(productionPreview({ preview: undefined }, 'green')).toBeUndefined();
  });

  it('renders the vhost with routes of its own per app: nginx variables take the app name without dashes', () => {
    const preview = { header: 'X-Colour', cookie: 'sy_colour', cookieMaxAgeSeconds: 600 };
    const text = renderVhostFile({ name: 'my-blog', portBase: 30010, preview }, vhost);
    expect(text).toContain('upstream my-blogLB_green {\n    server 127.0.0.1:30011;\n}');
    expect(text).toContain('map $http_x_colour $switchyard_my_blog_upstream {');
    expect(text).toContain('map $cookie_sy_colour $switchyard_my_blog_cookie_upstream {');
    expect(text).toContain('proxy_pass http://$switchyard_my_blog_upstream;');
    expect(text).toContain('"sy_colour=green; Path=/; Max-Age=600; HttpOnly; SameSite=Lax"');
    expect(renderVhostFile({ name: 'my-blog', portBase: 30010 }, vhost)).not.toMatch(/map|_green|Set-Cookie/);
    expect(() => renderVhostFile({ name: 'blog', preview }, vhost)).toThrow('the preview of blog needs its portBase');
  });
});

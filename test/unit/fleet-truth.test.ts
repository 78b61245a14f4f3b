import { describe, expect, it } from 'vitest';
import { checkLoaded } from '../../src/fleet/loaded-config.js';
import { truthProblems, type NodeTruth } from '../../src/fleet/node-truth.js';
import { colourOf } from '../../src/fleet/probe-node.js';
import { sudoersRule } from '../../src/fleet/sudoers-rule.js';
import { describeReloadFailure } from '../../src/fleet/switch-failure.js';
import { reports } from '../../src/fleet/remote-scripts.js';

const blog = { name: 'blog', portBase: 30000 };
const path = '/etc/nginx/backends.d/blog.conf';
const header = (file: string): string => `# configuration file ${file}:\n`;
const upstream = 'upstream blogLB {\n    server 127.0.0.1:30000;\n    server 127.0.0.1:30001 down;\n}\n';

describe('checkLoaded: does nginx (nginx -T, cut down on the node) load the app\'s upstream file', () => {
  it.each([
    ['the file included, the upstream only there', `${header('/etc/nginx/nginx.conf')}${header(path)}${upstream}\n`, { ok: true }],
    ['the upstream nested in a block of the file', `${header('/etc/nginx/nginx.conf')}${header(path)}# x\nhttp { ${upstream} }\n`, { ok: true }],
    ['a vhost that only mentions the upstream', `${header('/etc/nginx/nginx.conf')}${header(path)}${upstream}${header('/etc/nginx/sites/blog')}server { location / { proxy_pass http://blogLB; } }\n`, { ok: true }],
    ['a comment in another file naming the upstream', `${header('/etc/nginx/nginx.conf')}# upstream blogLB { lives in backends.d }\n${header(path)}${upstream}`, { ok: true }],
  ])('accepts %s', (_, dump, verdict) => {
    expect(checkLoaded(dump, blog, path)).toEqual(verdict);
  });

  it.each([
    ['the include missing, the upstream inline in nginx.conf', `${header('/etc/nginx/nginx.conf')}http {\n${upstream}}\n`,
      /^nginx does not load \/etc\/nginx\/backends\.d\/blog\.conf: its configuration \(nginx -T\) does not include it; upstream blogLB comes from \/etc\/nginx\/nginx\.conf instead$/,
      /^include \/etc\/nginx\/backends\.d\/\*\.conf inside http \{\} in nginx\.conf and remove upstream blogLB from \/etc\/nginx\/nginx\.conf$/],
    ['the include missing, no upstream anywhere', `${header('/etc/nginx/nginx.conf')}`,
      /does not include it$/, /^include \/etc\/nginx\/backends\.d\/\*\.conf inside http \{\} in nginx\.conf$/],
    ['the file included, the upstream defined again elsewhere', `${header(path)}${upstream}${header('/etc/nginx/conf.d/old.conf')}${upstream}`,
      /^upstream blogLB is defined in \/etc\/nginx\/conf\.d\/old\.conf as well as /, /^define upstream blogLB only in /],
    ['the file included without the upstream', `${header(path)}upstream other { server 127.0.0.1:1; } # blogLB\n`,
      /^nginx loads \S+ but finds no upstream blogLB in it$/, /^define upstream blogLB only in /],
  ])('refuses %s, naming the fix', (_, dump, reason, hint) => {
    const verdict = checkLoaded(dump, blog, path);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toMatch(reason);
    expect(verdict.hint).toMatch(hint);
  });

  it('falls back to the text where its reader does not follow a file nginx accepted', () => {
    const lua = `content_by_lua_block { ngx.say("}") -- } \n }\n`;
    expect(checkLoaded(`${header(path)}${upstream}${header('/etc/nginx/lua.conf')}${lua}upstream blogLB { server 127.0.0.1:30000; }\n`, blog, path).ok).toBe(false);
    expect(checkLoaded(`${header(path)}${upstream}${header('/etc/nginx/lua.conf')}${lua}# blogLB\n`, blog, path).ok).toBe(true);
  });
});

describe('colourOf: the colour behind $upstream_addr', () => {
  it.each([
    ['127.0.0.1:30000', 'blue'],
    ['127.0.0.1:30001', 'green'],
    ['[::1]:30001', 'green'],
    ['127.0.0.1:30001, 127.0.0.1:30001', 'green'],
    ['127.0.0.1:30000, 127.0.0.1:30001', null],
    ['127.0.0.1:30001 : 10.0.0.9:8080', null],
    ['blogLB', null],
    ['127.0.0.1:300001', null],
    ['', null],
  ] as const)('%j → %s', (upstreamAddr, colour) => {
    expect(colourOf(upstreamAddr, 30000)).toBe(colour);
  });
});

describe('sudoersRule: exactly the configured nginx commands', () => {
  it('allows each command by its text, escaping what sudoers would read as syntax', () => {
    expect(sudoersRule('deploy', ['/usr/sbin/nginx -t', '/usr/sbin/nginx -g daemon=on,x:y', '/opt/nginx -c /etc/n[1]*?\\x'])).toBe(
      'Cmnd_Alias SWITCHYARD_NGINX = /usr/sbin/nginx -t, /usr/sbin/nginx -g daemon\\=on\\,x\\:y, /opt/nginx -c /etc/n\\[1\\]\\*\\?\\\\x\n' +
        'Defaults:deploy !requiretty\n' +
        'deploy ALL=(root) NOPASSWD: SWITCHYARD_NGINX\n',
    );
  });

  it('refuses a command sudoers could not match (no absolute path)', () => {
    expect(() => sudoersRule('deploy', ['nginx -t'])).toThrow(/absolute path: nginx -t/);
  });
});

describe('describeReloadFailure: what a node said, in words', () => {
  const said = (stdout: string, code = 29): string => describeReloadFailure(code, stdout, reports(stdout), '');
  it.each([
    ['@armed\n@restore-failed: there is no backup /b to put back\n', /^could not put the backup back \(there is no backup \/b to put back\); the node's file cannot be trusted until that is done$/],
    ['@put-back-failed: no new nginx workers after 3000 ms\n', /^could not put the backup back \(no new nginx workers after 3000 ms\)/],
    ['@armed\n@barrier-timeout: no word from switchyard within 30 s\n', /^barrier timeout: no word from switchyard within 30 s$/],
    ['@busy: another switchyard run has held /l for over 80 s\n', /^busy: another switchyard run has held \/l for over 80 s$/],
    ['@reload-start 1\n@reload-failed\nnginx: [alert] kill(123, 1) failed\n@reload-start 2\n@reload-done 3\n', /^reload command failed, backup restored \(nginx: \[alert\] kill\(123, 1\) failed\)$/],
    ['@armed\n@disarmed\n', /^disarmed: backup put back$/],
  ])('%j', (stdout, words) => {
    expect(said(stdout)).toMatch(words);
  });
});

describe('truthProblems', () => {
  const agrees: NodeTruth = { node: 'node-1', file: 'green', settled: false, loads: { ok: true }, serves: { colour: 'green', detail: 'answered 200 through 127.0.0.1:30001' }, agrees: true };
  it.each([
    ['a node that agrees', agrees, []],
    ['nginx serving the other colour', { ...agrees, serves: { colour: 'blue', detail: 'answered 200 through 127.0.0.1:30000' }, agrees: false },
      ['the file says green but nginx serves blue (answered 200 through 127.0.0.1:30000)']],
    ['a file nginx does not load', { ...agrees, loads: { ok: false, detail: 'nginx does not load x' }, agrees: false }, ['nginx does not load x']],
    ['a probe that got no answer', { ...agrees, serves: { colour: null, detail: 'http://n:80/ (Host blog): ECONNREFUSED' }, agrees: false }, ['probe: http://n:80/ (Host blog): ECONNREFUSED']],
    ['an unsettled node', { ...agrees, file: null, error: 'a switch interrupted on the node left x armed', serves: { colour: 'blue', detail: 'd' }, agrees: false },
      ['a switch interrupted on the node left x armed', 'the file says ? but nginx serves blue (d)']],
  ] as const)('%s', (_, truth, problems) => {
    expect(truthProblems(truth as NodeTruth)).toEqual(problems);
  });
});

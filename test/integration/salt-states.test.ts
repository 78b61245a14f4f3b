import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { AppStateStore } from '../../src/cluster/app-state-store.js';
import { connectKube } from '../../src/cluster/kube-clients.js';
import { serviceProblems } from '../../src/cluster/preflight-services.js';
import { renderUpstreamFile, renderVhostFile } from '../../src/fleet/nginx-templates.js';
import { parseUpstream } from '../../src/fleet/upstream-file.js';
import { sudoersRule } from '../../src/fleet/sudoers-rule.js';
import type { SaltPillar } from '../../src/salt/salt-pillar.js';
import { TOOLS } from '../../src/sandbox/fleet/fleet-prerequisites.js';
import { startKubeStandIn, type KubeStandIn } from '../../src/sandbox/kube/start-kube-stand-in.js';
import { COLOURS, colourPort, type Colour } from '../../src/validate/patterns.js';
import { runCli } from '../cli/cli-harness.js';
import { freePort } from '../support/free-port.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const saltRoot = join(root, 'salt');
const NGINX = TOOLS.find((t) => t.name === 'nginx')!.path;
const run = promisify(execFile);

/** One salt state: its id, its function (`file.managed`) and its arguments merged from salt's list of one-key maps. */
interface SaltState {
  id: string;
  fun: string;
  args: Record<string, unknown>;
}

/** Renders a template under salt/ with Debian's python3-jinja2, as salt's jinja renderer would (test/support/render-salt.py). */
function renderSalt(template: string, pillars: unknown[], context: Record<string, unknown> = {}): string {
  const job = JSON.stringify({ root: saltRoot, template, pillars, grains: { roles: ['k8s-node'] }, context });
  const out = spawnSync('/usr/bin/python3', [join(root, 'test', 'support', 'render-salt.py')], { input: job, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return out.stdout;
}

/** The states of a rendered .sls, in order. */
function statesOf(sls: string): SaltState[] {
  const doc = parse(sls) as Record<string, Record<string, Record<string, unknown>[]>>;
  return Object.entries(doc)
    .filter(([id]) => id !== 'include')
    .flatMap(([id, body]) => Object.entries(body).map(([fun, list]) => ({ id, fun, args: Object.assign({}, ...list) as Record<string, unknown> })));
}

/** The file a `file.managed` state with `template: jinja` writes: its source rendered with its context. */
function managedFile(state: SaltState, pillars: unknown[]): string {
  expect(state.args.template).toBe('jinja');
  const source = String(state.args.source).replace(/^salt:\/\//, '');
  return renderSalt(source, pillars, state.args.context as Record<string, unknown>);
}


describe('salt states from the pillar switchyard generates', () => {
  let kube: KubeStandIn;
  let dir: string;
  let generated: SaltPillar;
  /** The pillar sources in salt's order: the operator's file, then the external pillar (`switchyard salt-pillar`), then this site's paths. */
  let pillars: unknown[];
  let nodeStates: SaltState[];
  const live: Record<string, Colour> = { blog: 'green', www: 'green' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-salt-'));
    kube = await startKubeStandIn();
    const kubeconfig = await kube.writeKubeconfig(join(dir, 'kubeconfig'));
    // blog runs on green, as recorded by switchyard; www has no record yet, and runs green made by hand.
    const clients = connectKube({ kubeconfigPath: kubeconfig });
    for (const name of ['blog', 'www']) await clients.core.createNamespace({ body: { metadata: { name } } });
    await new AppStateStore(clients).updateAppState('blog', 'blog', (s) => ({ ...s, live: { colour: 'green', version: '2.0.0' } }));
    const labels = { name: 'www-green' };
    await clients.apps.createNamespacedReplicaSet({
      namespace: 'www',
      body: { metadata: { name: 'www-green', labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'www', image: 'registry.example.com/www:1.0.0' }] } } } },
    });
    const config = parse(readFileSync(join(root, 'config', 'switchyard.example.yaml'), 'utf8')) as Record<string, unknown>;
    await mkdir(join(dir, 'apps'));
    await writeFile(join(dir, 'switchyard.yaml'), stringify({ ...config, kubernetes: { kubeconfig } }));
    const out = await runCli(['salt-pillar', '--config', join(dir, 'switchyard.yaml')]);
    expect(out.stderr).toBe('');
    generated = parse(out.stdout) as SaltPillar;

    // This machine's nginx: its own prefix, pid and temp paths; each vhost on a free loopback port.
    for (const sub of ['conf.d', 'backends.d']) await mkdir(join(dir, sub));
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
    await writeFile(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp { ${temp}\n  include ${dir}/conf.d/*.conf;\n}\n`);
    const site = {
      switchyard: {
        nginx: { backends_dir: `${dir}/backends.d`, conf_dir: `${dir}/conf.d`, vhost_dir: `${dir}/conf.d`, test_command: `${NGINX} -c ${dir}/nginx.conf -t` },
        apps: { blog: { listen: `127.0.0.1:${await freePort()}` }, www: { listen: `127.0.0.1:${await freePort()}` } },
      },
    };
    pillars = [parse(readFileSync(join(saltRoot, 'pillar.example.sls'), 'utf8')), generated, site];
    nodeStates = statesOf(renderSalt('switchyard/nginx.sls', pillars));
  });
  afterAll(async () => {
    await kube?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('describes each app once: the pillar example holds only what switchyard does not know, the rest comes from the config and the cluster', () => {
    expect(generated.switchyard.apps).toEqual({
      blog: { namespace: 'blog', portBase: 30000, upstreamName: 'blogLB', first_live: 'green', preview: { header: 'X-Switchyard-Preview', cookie: 'switchyard_preview', cookieMaxAgeSeconds: 3600 } },
      www: { namespace: 'www', portBase: 30010, upstreamName: 'wwwLB', first_live: 'green' },
    });
    expect(generated.switchyard.nginx).toEqual({ backends_dir: '/etc/nginx/backends.d', test_command: '/usr/sbin/nginx -t', dump_command: '/usr/sbin/nginx -T', reload_command: '/usr/bin/systemctl reload nginx' });
    const example = pillars[0] as { switchyard: { apps: Record<string, Record<string, unknown>>; nginx: Record<string, unknown> } };
    for (const app of Object.values(example.switchyard.apps)) expect(Object.keys(app).sort()).toEqual(['listen', 'server_name']);
    expect(Object.keys(example.switchyard.nginx).sort()).toEqual(['conf_dir', 'vhost_dir']);
  });

  it.each(Object.entries(live))('lays down %s\'s upstream file once, exactly as switchyard renders it, with the live colour in the cluster (%s) live', (name, colour) => {
    const state = nodeStates.find((s) => s.id === `switchyard-upstream-${name}`)!;
    expect(state.args).toMatchObject({ name: `${dir}/backends.d/${name}.conf`, replace: false });
    const app = { name, portBase: generated.switchyard.apps[name]!.portBase };
    const text = managedFile(state, pillars);
    expect(text).toBe(renderUpstreamFile(app, colour));
    expect(parseUpstream(text, app, `${name}.conf`).live).toBe(colour);
  });

  it.each(['blog', 'www'])('lays down %s\'s vhost exactly as switchyard renders it (blog with its preview, www without)', (name) => {
    const state = nodeStates.find((s) => s.id === `switchyard-vhost-${name}-staged`)!;
    const app = generated.switchyard.apps[name]!;
    const { listen } = (pillars[2] as { switchyard: { apps: Record<string, { listen: string }> } }).switchyard.apps[name]!;
    const text = managedFile(state, pillars);
    expect(text).toBe(renderVhostFile({ name, ...app }, { listen, serverName: `${name}.example.com`, backendsDir: `${dir}/backends.d` }));
    expect(text.includes('map $http_x_switchyard_preview $switchyard_blog_upstream')).toBe(name === 'blog');
  });

  it('stops before changing anything when an app\'s preview names what nginx cannot read', () => {
    const bad = { switchyard: { apps: { blog: { preview: { header: 'X-Preview;', cookie: 'switchyard_preview', cookieMaxAgeSeconds: 3600 } } } } };
    expect(() => renderSalt('switchyard/nginx.sls', [...pillars, bad])).toThrow(/apps\.blog\.preview: header/);
  });

  it('gives nginx files it accepts, each vhost put in place by install-checked.sh only with a passing nginx -t', async () => {
    for (const s of nodeStates.filter((s) => s.fun === 'file.managed')) await writeFile(String(s.args.name), managedFile(s, pillars));
    for (const name of Object.keys(live)) {
      const install = nodeStates.find((s) => s.id === `switchyard-vhost-${name}`)!;
      expect(install.fun).toBe('cmd.script');
      expect(install.args.source).toBe('salt://switchyard/files/install-checked.sh');
      // salt's cmd.script runs the script with its args split as a shell would; none of these needs quoting.
      await run('sh', [join(saltRoot, 'switchyard', 'files', 'install-checked.sh'), ...String(install.args.args).split(' ')]);
      expect(await readFile(`${dir}/conf.d/${name}.conf`, 'utf8')).toBe(await readFile(`${dir}/conf.d/${name}.conf.staged`, 'utf8'));
    }
    await run(NGINX, ['-c', `${dir}/nginx.conf`, '-t']);
    expect((await readdir(`${dir}/conf.d`)).sort()).toEqual(['blog.conf', 'blog.conf.staged', 'switchyard-backends.conf', 'www.conf', 'www.conf.staged']);
  });

  it.each([
    ['an existing vhost', 'blog', true],
    ['a new vhost', 'shop', false],
  ])('never leaves a vhost nginx refuses in place: %s stays as it was', async (_what, name, existed) => {
    const installed = `${dir}/conf.d/${name}.conf`;
    const before = existed ? await readFile(installed, 'utf8') : undefined;
    const staged = `${dir}/conf.d/${name}.conf.staged`;
    await writeFile(staged, 'server { listen 127.0.0.1:1; location / { proxy_pass http://noSuchUpstream; } }\n');
    const test = (pillars[2] as { switchyard: { nginx: { test_command: string } } }).switchyard.nginx.test_command;
    const result = await run('sh', [join(saltRoot, 'switchyard', 'files', 'install-checked.sh'), staged, installed, ...test.split(' ')]).then(
      () => 'installed',
      (err: { stderr: string }) => err.stderr,
    );
    expect(result).toMatch(/host not found in upstream "noSuchUpstream"[\s\S]*install-checked: nginx refused/);
    expect(existed ? await readFile(installed, 'utf8') : existsSync(installed)).toEqual(existed ? before : false);
    expect((await readdir(`${dir}/conf.d`)).filter((f) => f.includes('switchyard-'))).toEqual(['switchyard-backends.conf']);
    await rm(staged);
    await run(NGINX, ['-c', `${dir}/nginx.conf`, '-t']);
  });

  it('creates each app\'s blue and green NodePort Services by the port convention', () => {
    const states = statesOf(renderSalt('switchyard/kube-services.sls', pillars)).filter((s) => s.fun === 'file.managed' && s.args.source);
    expect(states.map((s) => s.id)).toEqual(['switchyard-services-blog-manifest', 'switchyard-services-www-manifest']);
    for (const state of states) {
      const docs = parseAllDocuments(managedFile(state, pillars)).map((d) => d.toJS() as V1Service & { kind: string });
      const name = docs[0]!.metadata!.name === 'blog' ? 'blog' : 'www';
      const app = { name, namespace: name, portBase: generated.switchyard.apps[name]!.portBase };
      expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'Service', 'Service']);
      COLOURS.forEach((colour, i) => {
        expect(serviceProblems(app, colour, docs[i + 1])).toEqual([]);
        expect(docs[i + 1]!.spec!.ports![0]!.nodePort).toBe(colourPort(app.portBase, colour));
      });
    }
  });

  it('lets the deploy user run as root exactly the nginx commands of the config, as switchyard renders the rule', () => {
    const sudoers = statesOf(renderSalt('switchyard/deploy-user.sls', [pillars[0], generated])).find((s) => s.id === 'switchyard-deploy-sudoers')!;
    const { test_command, dump_command, reload_command } = generated.switchyard.nginx;
    expect(managedFile(sudoers, pillars).endsWith(sudoersRule(generated.switchyard.deploy_user.name, [test_command, dump_command, reload_command]))).toBe(true);
  });

  it('stops before changing anything when an app of the pillar is malformed, naming it', () => {
    expect(() => renderSalt('switchyard/nginx.sls', [...pillars, { switchyard: { apps: { blog: { portBase: 30005 } } } }])).toThrow(/apps\.blog\.portBase 30005: a multiple of ten/);
    expect(() => renderSalt('switchyard/nginx.sls', [...pillars, { switchyard: { apps: { www: { server_name: '' } } } }])).toThrow(/apps\.www\.server_name: required/);
    // Without the external pillar nothing says which colour is live: no guess.
    expect(() => renderSalt('switchyard/nginx.sls', [pillars[0], pillars[2]])).toThrow(/apps\.blog\.portBase None/);
    expect(() => renderSalt('switchyard/nginx.sls', [pillars[0], pillars[2], { switchyard: { apps: { blog: { portBase: 30000 }, www: { portBase: 30010 } } } }])).toThrow(/apps\.blog\.first_live "None": blue or green, the colour live in the cluster/);
  });
});

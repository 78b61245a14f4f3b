import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { buildColourReplicaSet } from '../../src/cluster/create-colour.js';
import { loadReplicaSetTemplate } from '../../src/cluster/load-replica-set-template.js';
import { serviceProblems } from '../../src/cluster/preflight-services.js';
import { parseConfig } from '../../src/config/load-config.js';
import { Config } from '../../src/config/schema.js';
import { renderUpstreamFile } from '../../src/fleet/nginx-templates.js';
import { COLOURS, colourPort, type Colour } from '../../src/validate/patterns.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const examplePath = join(root, 'config', 'switchyard.example.yaml');
const exampleText = read('config/switchyard.example.yaml');

type Schema = z.core.$ZodType;

/** Looks through optional/default/prefault wrappers and arrays to the schema of one value. */
function unwrap(schema: Schema): Schema {
  const def = schema._zod.def;
  if (['optional', 'default', 'prefault', 'nullable'].includes(def.type)) return unwrap((def as z.core.$ZodOptionalDef).innerType);
  if (def.type === 'array') return unwrap((def as z.core.$ZodArrayDef).element);
  return schema;
}

/** Every key path of the schema, e.g. ['apps', 'verify', 'smoke', 'status']. */
function keyPaths(schema: Schema, prefix: string[] = []): string[][] {
  const inner = unwrap(schema);
  if (inner._zod.def.type !== 'object') return [];
  const shape = (inner._zod.def as z.core.$ZodObjectDef).shape;
  return Object.entries(shape).flatMap(([key, value]) => [[...prefix, key], ...keyPaths(value, [...prefix, key])]);
}

/** The example's text under each top-level key, up to the next one. */
function sections(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let current = '';
  for (const line of text.split('\n')) {
    current = /^([A-Za-z]\w*):/.exec(line)?.[1] ?? current;
    found.set(current, `${found.get(current) ?? ''}${line}\n`);
  }
  return found;
}

/** A comment that documents the key: `# key: what it does ...`, possibly as a list item. */
const documents = (text: string, key: string): boolean => new RegExp(`^\\s*(?:-\\s*)?#\\s*(?:-\\s*)?${key}:`, 'm').test(text);

/**
 * Renders a logic-free Jinja template the way salt would: `{# ... -#}`
 * comments (with the newline they trim) go, `{{ name }}` becomes its value.
 * Anything else (tags, filters, unknown names) fails, so the templates stay
 * simple enough for this to be the whole truth about them.
 */
function renderPlainJinja(template: string, vars: Record<string, string | number>): string {
  const text = template
    .replace(/\{#-?[\s\S]*?(-?)#\}(\s*)/g, (_m, trim: string, space: string) => (trim ? '' : space))
    .replace(/\{\{ (\w+) \}\}/g, (_m, name: string) => {
      if (!(name in vars)) throw new Error(`template uses {{ ${name} }}, which the test does not know`);
      return String(vars[name]);
    });
  expect(text).not.toMatch(/\{[{%#]/);
  return text;
}

const downFlags = (live: Colour): Record<string, string> => ({ blue_down: live === 'blue' ? '' : ' down', green_down: live === 'green' ? '' : ' down' });

describe('config/switchyard.example.yaml', () => {
  const config = parseConfig(exampleText, examplePath);
  const [blog, www] = config.apps;

  it('parses with both apps on the port convention', () => {
    expect(config.apps.map((a) => [a.name, a.namespace, a.portBase])).toEqual([
      ['blog', 'blog', 30000],
      ['www', 'www', 30010],
    ]);
    expect(COLOURS.map((c) => colourPort(blog!.portBase, c))).toEqual([30000, 30001]);
    expect(COLOURS.map((c) => colourPort(www!.portBase, c))).toEqual([30010, 30011]);
  });

  it('discovers by EC2 tags, with the static list commented out', () => {
    expect(config.discovery.ec2).toEqual({ region: 'us-east-1', tags: { Role: 'k8s-node', Cluster: 'prod' }, address: 'private' });
    expect(config.discovery.static).toBeUndefined();
  });

  it('converts durations to seconds', () => {
    expect(config.ssh).toMatchObject({ connectTimeoutSeconds: 10, commandTimeoutSeconds: 30, keepaliveSeconds: 15, sudo: false });
    expect(config.nginx.reloadConfirmSeconds).toBe(10);
    expect(blog).toMatchObject({ drainSeconds: 30, readyTimeout: 600, retainMinutes: 30, verify: { required: true, timeout: 14400, smoke: { path: '/healthz', status: 200 } } });
    expect(www).toMatchObject({ drainSeconds: 45, readyTimeout: 600, fallbackReplicas: 1, verify: { required: true, timeout: 7200 } });
  });

  it('points blog at its template, resolved next to the config', () => {
    expect(blog!.template).toBe(join(root, 'config', 'apps', 'blog-replicaset.yaml'));
    expect(existsSync(blog!.template!)).toBe(true);
    expect(blog!.previewUrl).toBe('http://{{node}}:{{port}}/');
  });

  it('holds the static alternative in a form that parses once uncommented', () => {
    const lines = exampleText.split('\n');
    const start = lines.findIndex((l) => l.startsWith('  ec2:'));
    const end = lines.findIndex((l, i) => i > start && l.trim() === '');
    const withStatic = [...lines.slice(0, start), ...lines.slice(end)]
      .join('\n')
      .replace(/^ {2}# static:\n((?: {2}# {3}- .*\n)+)/m, (_m, items: string) => `  static:\n${items.replace(/^ {2}# /gm, '  ')}`);
    const c = parseConfig(withStatic, examplePath);
    expect(c.discovery.ec2).toBeUndefined();
    expect(c.discovery.static?.map((n) => n.name)).toEqual(['node-a', 'node-b', 'node-c']);
  });

  describe('documents every key of the schema in a comment', () => {
    const paths = keyPaths(Config);
    const bySection = sections(exampleText);

    it('finds the keys it checks from the schema itself', () => {
      expect(paths.filter((p) => p.length === 1).map((p) => p[0])).toEqual(Object.keys(Config.shape));
      const appKeys = Object.keys((unwrap(Config.shape.apps)._zod.def as z.core.$ZodObjectDef).shape);
      expect(paths.filter((p) => p.length === 2 && p[0] === 'apps').map((p) => p[1])).toEqual(appKeys);
      expect(paths).toContainEqual(['apps', 'verify', 'smoke', 'status']);
    });

    it.each(paths.map((p) => [p.join('.'), p] as const))('%s', (_name, path) => {
      const [top, ...rest] = path;
      expect(exampleText, `top-level key ${top} is set in the example`).toMatch(new RegExp(`^${top}:`, 'm'));
      expect(documents(rest.length === 0 ? exampleText : bySection.get(top!)!, path.at(-1)!), `a "# ${path.at(-1)}:" comment under ${top}`).toBe(true);
    });
  });
});

describe('config/apps: blog as switchyard creates and routes to it', () => {
  const replicaSet = parse(read('config/apps/blog-replicaset.yaml')) as V1ReplicaSet;
  const services = parseAllDocuments(read('config/apps/blog-services.yaml')).map((d) => d.toJS() as V1Service);
  const app = { name: 'blog', namespace: 'blog', portBase: 30000 };

  it('is a ReplicaSet template with a blog container, a readiness probe and resources', () => {
    expect(replicaSet).toMatchObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'blog-blue' } });
    expect(replicaSet.spec?.selector.matchLabels).toEqual({ name: 'blog-blue' });
    const container = replicaSet.spec?.template?.spec?.containers[0];
    expect(container?.name).toBe('blog');
    expect(container?.image).toMatch(/^registry\.example\.com\/blog:/);
    expect(container?.readinessProbe?.httpGet?.path).toBe('/healthz');
    expect(container?.resources?.requests).toBeDefined();
  });

  it('has the two NodePort Services of the convention, which the preflight accepts', () => {
    expect(services.map((s) => [s.kind, s.metadata?.name, s.spec?.type, s.spec?.ports?.[0]?.nodePort, s.spec?.selector])).toEqual([
      ['Service', 'blog-blue', 'NodePort', 30000, { name: 'blog-blue' }],
      ['Service', 'blog-green', 'NodePort', 30001, { name: 'blog-green' }],
    ]);
    COLOURS.forEach((colour, i) => expect(serviceProblems(app, colour, services[i])).toEqual([]));
  });

  it.each(COLOURS)('gives the %s ReplicaSet switchyard builds from it pods that its Service selects', async (colour) => {
    const source = await loadReplicaSetTemplate(join(root, 'config', 'apps', 'blog-replicaset.yaml'));
    const rs = buildColourReplicaSet({ app: 'blog', namespace: 'blog', colour, version: '20151025.143403', replicas: 3, container: 'blog', ...source });
    expect(rs.metadata?.name).toBe(`blog-${colour}`);
    expect(rs.spec?.template?.spec?.containers[0]?.image).toBe('registry.example.com/blog:20151025.143403');
    const podLabels = rs.spec?.template?.metadata?.labels ?? {};
    expect(podLabels).toMatchObject({ name: `blog-${colour}`, app: 'blog', 'switchyard/colour': colour, team: 'web' });
    const service = services.find((s) => s.metadata?.name === `blog-${colour}`)!;
    expect(podLabels).toMatchObject(service.spec?.selector ?? { missing: 'selector' });
    const portNames = rs.spec?.template?.spec?.containers.flatMap((c) => c.ports?.map((p) => p.name) ?? []);
    expect(portNames).toContain(service.spec?.ports?.[0]?.targetPort);
  });
});

describe('salt states', () => {
  it.each([
    ['blog', 30000, 'blue'],
    ['www', 30010, 'blue'],
    ['blog', 30000, 'green'],
  ] as const)('lays down the upstream file of %s (port %i) exactly as switchyard renders it with %s live', (name, portBase, live) => {
    const jinja = renderPlainJinja(read('salt/switchyard/files/upstream.conf.jinja'), {
      app: name,
      upstream: `${name}LB`,
      blue_port: portBase,
      green_port: portBase + 1,
      ...downFlags(live),
    });
    expect(jinja).toBe(renderUpstreamFile({ name, portBase }, live));
  });

  it('creates the upstream file only once (replace: False), while the vhost follows its template', () => {
    const sls = read('salt/switchyard/nginx.sls');
    const state = (id: string): string => new RegExp(`^${id}:\\n(?: .*\\n)+`, 'm').exec(sls)?.[0] ?? '';
    expect(state('switchyard-upstream-\\{\\{ app.name \\}\\}')).toMatch(/^ {4}- replace: False$/m);
    expect(state('switchyard-vhost-\\{\\{ app.name \\}\\}-staged')).toContain('vhost.conf.jinja');
    expect(state('switchyard-vhost-\\{\\{ app.name \\}\\}-staged')).not.toMatch(/replace:/);
  });

  it('applies the same Services as config/apps/blog-services.yaml', () => {
    const manifest = renderPlainJinja(read('salt/switchyard/files/services.yaml.jinja'), {
      app: 'blog',
      namespace: 'blog',
      blue_port: 30000,
      green_port: 30001,
      target_port: 'http',
    });
    const docs = parseAllDocuments(manifest).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'Service', 'Service']);
    expect(docs.slice(1)).toEqual(parseAllDocuments(read('config/apps/blog-services.yaml')).map((d) => d.toJS()));
  });
});

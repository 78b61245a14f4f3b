import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { defaultAccessLog } from '../gate/gate-schema.js';
import type { PreviewConfig } from '../preview/preview-schema.js';
import { type Colour, colourPort } from '../validate/patterns.js';
import { parseUpstream, type UpstreamApp, upstreamName } from './upstream-file.js';

const templatesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'nginx-templates');
const compile = (name: string): Handlebars.TemplateDelegate =>
  Handlebars.compile(readFileSync(join(templatesDir, name), 'utf8'), { noEscape: true, strict: true });

let upstreamTemplate: Handlebars.TemplateDelegate | undefined;
let vhostTemplate: Handlebars.TemplateDelegate | undefined;

/**
 * Renders an app's upstream file with `live` up and the other colour down.
 * The result is parsed back before it is returned, so a file with both
 * colours down (or neither) is refused before it is written anywhere.
 *
 * @example
 * renderUpstreamFile({ name: 'blog', portBase: 30000 }, 'blue')
 */
export function renderUpstreamFile(app: UpstreamApp, live: Colour): string {
  upstreamTemplate ??= compile('upstream.conf.hbs');
  const text = upstreamTemplate({
    app: app.name,
    upstream: upstreamName(app),
    bluePort: colourPort(app.portBase, 'blue'),
    greenPort: colourPort(app.portBase, 'green'),
    blueDown: live !== 'blue',
    greenDown: live !== 'green',
  });
  const parsed = parseUpstream(text, app, `rendered ${app.name}.conf`);
  if (parsed.live !== live) throw new Error(`upstream template rendered ${parsed.live} live instead of ${live}`);
  return text;
}

/** What the vhost needs of an app: its upstream, and for a preview (apps[].preview) its ports too. */
export interface VhostApp extends Pick<UpstreamApp, 'name' | 'upstreamName'> {
  portBase?: number;
  preview?: Pick<PreviewConfig, 'header' | 'cookie' | 'cookieMaxAgeSeconds'> | undefined;
}

/**
 * Renders the example vhost that sends outside traffic to the app's upstream
 * and logs it for the gate; with a preview, also the per-colour upstreams and
 * the header and cookie that reach them.
 *
 * @example
 * renderVhostFile({ name: 'blog', portBase: 30000, preview: { header: 'X-Switchyard-Preview', cookie: 'switchyard_preview', cookieMaxAgeSeconds: 3600 } },
 *   { listen: '80', serverName: 'blog.example.com', backendsDir: '/etc/nginx/backends.d' })
 */
export function renderVhostFile(app: VhostApp, options: { listen: string; serverName: string; backendsDir: string; accessLog?: string }): string {
  vhostTemplate ??= compile('vhost.conf.hbs');
  const preview = app.preview && {
    header: app.preview.header,
    headerVariable: app.preview.header.toLowerCase().replaceAll('-', '_'),
    cookie: app.preview.cookie,
    maxAge: app.preview.cookieMaxAgeSeconds,
    // nginx variable names take no dashes; app names take no underscores, so this stays one name per app.
    id: app.name.replaceAll('-', '_'),
  };
  if (preview && app.portBase === undefined) throw new Error(`the preview of ${app.name} needs its portBase`);
  return vhostTemplate({
    app: app.name,
    upstream: upstreamName(app),
    accessLog: defaultAccessLog(app.name),
    preview,
    ...(preview && { bluePort: colourPort(app.portBase!, 'blue'), greenPort: colourPort(app.portBase!, 'green') }),
    ...options,
  });
}

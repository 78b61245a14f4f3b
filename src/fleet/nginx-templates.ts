import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { defaultAccessLog } from '../gate/gate-schema.js';
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

/** Renders the example vhost that sends outside traffic to the app's upstream and logs it for the gate. */
export function renderVhostFile(
  app: { name: string; upstreamName?: string | undefined },
  options: { listen: string; serverName: string; backendsDir: string; accessLog?: string },
): string {
  vhostTemplate ??= compile('vhost.conf.hbs');
  return vhostTemplate({ app: app.name, upstream: upstreamName(app), accessLog: defaultAccessLog(app.name), ...options });
}

import Handlebars from 'handlebars';
import type { AppConfig } from '../../config/schema.js';
import type { FleetNode } from '../../discovery/fleet-node.js';
import { colourPort, type Colour } from '../../validate/patterns.js';

/**
 * Where people look at a colour before it takes traffic: the app's
 * `previewUrl` template with {{node}} (the node's address) and {{port}} (the
 * colour's NodePort), once per node; each node's NodePort when the app has
 * no template.
 *
 * @example
 * previewUrls({ ...blog, previewUrl: 'http://{{node}}:{{port}}/' }, nodes, 'green'); // ['http://10.213.7.11:30001/', ...]
 */
export function previewUrls(app: AppConfig, nodes: readonly FleetNode[], colour: Colour): string[] {
  const render = Handlebars.compile(app.previewUrl ?? 'http://{{node}}:{{port}}/', { noEscape: true, strict: true });
  const port = colourPort(app.portBase, colour);
  return [...new Set(nodes.map((n) => render({ node: n.address, port })))];
}

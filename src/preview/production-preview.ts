import type { AppConfig } from '../config/schema.js';
import type { Colour } from '../validate/patterns.js';

/** How to reach a colour through the production vhost before the switch (apps[].preview). */
export interface ProductionPreview {
  /** The request header that reaches it, e.g. "X-Switchyard-Preview: green". */
  header: string;
  /** The vhost's link that sets the preview cookie, when the config names the vhost's url. */
  link?: string;
  /** The vhost's link that clears the cookie again. */
  off?: string;
  /** How long the cookie steers a browser. */
  cookieMaxAgeSeconds: number;
}

/**
 * What messages say about previewing `colour` through production: the
 * header, and the links the vhost answers with a cookie (fixed paths, see
 * nginx-templates/vhost.conf.hbs). Undefined for an app without a preview.
 *
 * @example
 * productionPreview(blog, 'green')
 * // { header: 'X-Switchyard-Preview: green', link: 'https://blog.example.com/.switchyard/preview/green',
 * //   off: 'https://blog.example.com/.switchyard/preview/off', cookieMaxAgeSeconds: 3600 }
 */
export function productionPreview(app: Pick<AppConfig, 'preview'>, colour: Colour): ProductionPreview | undefined {
  const p = app.preview;
  if (!p) return undefined;
  const links = p.url ? { link: `${p.url}/.switchyard/preview/${colour}`, off: `${p.url}/.switchyard/preview/off` } : {};
  return { header: `${p.header}: ${colour}`, ...links, cookieMaxAgeSeconds: p.cookieMaxAgeSeconds };
}

import { z } from 'zod';

/**
 * A preview of the new colour through the production vhost before the
 * switch (nginx-templates/vhost.conf.hbs): a request with `header: green`
 * (or, without the header, the `cookie` that the vhost's
 * `/.switchyard/preview/green` link sets) reaches green through an upstream
 * of its own that switchyard never flips.
 *
 * @example
 * previewSchema.parse({ url: 'https://blog.example.com' })
 * // { header: 'X-Switchyard-Preview', cookie: 'switchyard_preview', cookieMaxAgeSeconds: 3600, url: 'https://blog.example.com' }
 */
export const previewSchema = z.strictObject({
  /** Letters, digits and dashes: nginx reads it as `$http_<name>` (lower case, dashes as underscores). */
  header: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, 'a header name (letters, digits and dashes)').default('X-Switchyard-Preview'),
  /** nginx reads it as `$cookie_<name>`, so no dashes. */
  cookie: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a cookie name (lower-case letters, digits and "_")').default('switchyard_preview'),
  /** A preview cookie forgotten in a browser stops steering it soon. */
  cookieMaxAgeSeconds: z.number().int().min(60).max(86_400).default(3600),
  /** The vhost's own address, for the cookie link in messages; without it they name the header and the path only. */
  url: z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/, 'the vhost\'s scheme and host, e.g. https://blog.example.com (no path)').optional(),
});

export type PreviewConfig = z.infer<typeof previewSchema>;

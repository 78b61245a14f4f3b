import type { Config } from '../config/schema.js';
import { upstreamName } from '../fleet/upstream-file.js';
import type { PreviewConfig } from '../preview/preview-schema.js';
import type { Colour } from '../validate/patterns.js';

/** The part of salt's `switchyard` pillar that switchyard's config already says (salt/pillar.example.sls has the rest). */
export interface SaltPillar {
  switchyard: {
    nginx: { backends_dir: string; test_command: string; dump_command: string; reload_command: string };
    deploy_user: { name: string };
    apps: Record<string, { namespace: string; portBase: number; upstreamName: string; first_live: Colour; preview?: SaltPreview }>;
  };
}

/** What the vhost template needs of apps[].preview (the url is for messages only). */
type SaltPreview = Pick<PreviewConfig, 'header' | 'cookie' | 'cookieMaxAgeSeconds'>;

/** The deploy user runs nginx's commands as `sudo -n <command>`; sudoers (and so salt) names the command alone. */
const withoutSudo = (command: string): string => command.replace(/^sudo -n /, '');

/**
 * salt's pillar from switchyard's own config, so each app is described once:
 * apps keyed by name (salt merges an operator's pillar with the same keys
 * into them: server_name, listen), and each app's `first_live`, the colour an
 * upstream file salt creates marks live, from `live`: the colour the cluster
 * says serves (recorded, or the only one running; blue when none is known).
 * A node added while green serves then starts on green, like every other node.
 * An app with a preview gets its header and cookie, for its vhost.
 *
 * @example
 * saltPillar(config, { blog: 'green', www: null }).switchyard.apps.blog
 * // { namespace: 'blog', portBase: 30000, upstreamName: 'blogLB', first_live: 'green' }
 */
export function saltPillar(config: Config, live: Record<string, Colour | null>): SaltPillar {
  return {
    switchyard: {
      nginx: {
        backends_dir: config.nginx.backendsDir,
        test_command: withoutSudo(config.nginx.testCommand),
        dump_command: withoutSudo(config.nginx.dumpCommand),
        reload_command: withoutSudo(config.nginx.reloadCommand),
      },
      deploy_user: { name: config.ssh.user },
      apps: Object.fromEntries(
        config.apps.map((a) => [
          a.name,
          {
            namespace: a.namespace,
            portBase: a.portBase,
            upstreamName: upstreamName(a),
            first_live: live[a.name] ?? 'blue',
            ...(a.preview && { preview: { header: a.preview.header, cookie: a.preview.cookie, cookieMaxAgeSeconds: a.preview.cookieMaxAgeSeconds } }),
          },
        ]),
      ),
    },
  };
}

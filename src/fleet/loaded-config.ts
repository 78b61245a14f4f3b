import { type NginxDirective, readNginxDirectives } from './nginx-directives.js';
import { type UpstreamApp, upstreamName } from './upstream-file.js';

/** Whether a node's nginx loads the app's upstream file, and if not, why and what to do. */
export type LoadsVerdict = { ok: true } | { ok: false; reason: string; hint: string };

const HEADER = /^# configuration file (.+):$/;

/**
 * Reads what `nginx -T` printed (cut down on the node to the files that
 * mention the upstream, see LOADED_CONFIG) and decides whether nginx loads
 * the app's upstream file: its configuration includes `path` and defines
 * the app's upstream there and nowhere else. A node whose nginx.conf lacks
 * the backends.d include and defines the upstream inline would otherwise be
 * "switched" (file flipped, reload confirmed) while it keeps serving the old
 * colour.
 *
 * @example
 * checkLoaded('# configuration file /etc/nginx/nginx.conf:\n# configuration file /etc/nginx/backends.d/blog.conf:\nupstream blogLB { server 127.0.0.1:30000; }\n',
 *   { name: 'blog', portBase: 30000 }, '/etc/nginx/backends.d/blog.conf') // { ok: true }
 */
export function checkLoaded(dump: string, app: UpstreamApp, path: string): LoadsVerdict {
  const name = upstreamName(app);
  const files = sections(dump);
  const definedIn = [...files].filter(([file, text]) => defines(text, name, file)).map(([file]) => file);
  const includeHint = `include ${path.replace(/[^/]+$/, '*.conf')} inside http {} in nginx.conf`;
  if (!files.has(path)) {
    const elsewhere = definedIn.length > 0 ? `; upstream ${name} comes from ${definedIn.join(', ')} instead` : '';
    return {
      ok: false,
      reason: `nginx does not load ${path}: its configuration (nginx -T) does not include it${elsewhere}`,
      hint: definedIn.length > 0 ? `${includeHint} and remove upstream ${name} from ${definedIn.join(', ')}` : includeHint,
    };
  }
  const others = definedIn.filter((f) => f !== path);
  if (others.length > 0 || definedIn.length === 0) {
    return {
      ok: false,
      reason: others.length > 0
        ? `upstream ${name} is defined in ${others.join(', ')} as well as ${path}`
        : `nginx loads ${path} but finds no upstream ${name} in it`,
      hint: `define upstream ${name} only in ${path}`,
    };
  }
  return { ok: true };
}

/** Each file's text under its `# configuration file` line (empty where the node left it out). */
function sections(dump: string): Map<string, string> {
  const found = new Map<string, string>();
  let current: string | undefined;
  for (const line of dump.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = header[1]!;
      found.set(current, '');
    } else if (current !== undefined) {
      found.set(current, `${found.get(current)!}${line}\n`);
    }
  }
  return found;
}

/** Whether the file defines `upstream <name> { ... }` at any depth. */
function defines(text: string, name: string, file: string): boolean {
  let directives: NginxDirective[];
  try {
    directives = readNginxDirectives(text, file);
  } catch {
    // nginx accepted the file; a construct this reader does not follow (a Lua block, say) is no reason to refuse it.
    return new RegExp(`(^|[\\s;{}])upstream\\s+${name}\\s*\\{`).test(text);
  }
  const walk = (ds: NginxDirective[]): boolean =>
    ds.some((d) => (d.words[0]!.value === 'upstream' && d.words[1]?.value === name && d.block !== undefined) || (d.block !== undefined && walk(d.block)));
  return walk(directives);
}

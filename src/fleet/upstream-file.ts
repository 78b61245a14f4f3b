import { SwitchyardError } from '../errors/switchyard-error.js';
import { COLOURS, type Colour, colourPort } from '../validate/patterns.js';
import { type NginxDirective, type NginxWord, readNginxDirectives } from './nginx-directives.js';

/**
 * An app's upstream file on a node names both colours' NodePorts in the app's
 * upstream and marks the idle one `down`:
 *
 *     upstream blogLB {
 *         server 127.0.0.1:30000;
 *         server 127.0.0.1:30001 down;
 *     }
 *
 * Only that upstream (the app's `upstreamName`, `<app>LB` by default) is
 * read and changed. The same file may hold other upstreams on the same ports
 * (a static pool, a canary, a per-colour preview): they belong to the
 * operator, and a switch leaves them, like every other byte of the file,
 * exactly as they were. Inside the app's upstream, only the `down` flags of
 * its two colour servers change; servers on other ports are left alone.
 */
export interface UpstreamApp {
  name: string;
  portBase: number;
  upstreamName?: string | undefined;
}

export interface ParsedUpstream {
  live: Colour;
}

/** The upstream an app's vhost proxies to: `blogLB` unless config names one. */
export const upstreamName = (app: Pick<UpstreamApp, 'name' | 'upstreamName'>): string => app.upstreamName ?? `${app.name}LB`;

/** One colour's `server` directive in the app's upstream. */
interface ColourServer {
  words: NginxWord[];
  /** Its `down` flags (nginx accepts the flag more than once). */
  downs: NginxWord[];
}

function readAppUpstream(text: string, app: UpstreamApp, where: string): { live: Colour; servers: Record<Colour, ColourServer> } {
  const name = upstreamName(app);
  const upstreams = findUpstreams(readNginxDirectives(text, where));
  const mine = upstreams.filter((u) => u.words[1]!.value === name);
  const ports = COLOURS.map((c) => colourPort(app.portBase, c));
  const invalid = (message: string, hint: string): SwitchyardError => new SwitchyardError('upstream-invalid', `${where}: ${message}`, { hint });

  if (mine.length === 0) {
    const others = upstreams.map((u) => u.words[1]!.value);
    throw new SwitchyardError('upstream-missing', `${where} has no upstream ${name}${others.length > 0 ? ` (it has ${others.join(', ')})` : ''}`, {
      hint: `add upstream ${name} to ${where}, or set upstreamName of ${app.name} in the config to the upstream its vhost proxies to`,
    });
  }
  if (mine.length > 1) {
    throw invalid(`upstream ${name} is defined ${mine.length} times (lines ${mine.map((u) => u.line).join(', ')})`, `keep one upstream ${name} in ${where}`);
  }

  const found: Record<Colour, ColourServer[]> = { blue: [], green: [] };
  for (const d of mine[0]!.block!) {
    const [keyword, address, ...params] = d.words;
    if (keyword!.value === 'include') {
      throw invalid(
        `upstream ${name} takes servers from \`include ${address?.value ?? ''}\` (line ${d.line}), which switchyard cannot change`,
        `write the servers on ports ${ports.join(' and ')} directly in upstream ${name} in ${where}`,
      );
    }
    if (keyword!.value !== 'server' || !address) continue;
    const port = Number(/:(\d+)$/.exec(address.value)?.[1]);
    const colour = COLOURS.find((c) => colourPort(app.portBase, c) === port);
    if (colour) found[colour].push({ words: d.words, downs: params.filter((p) => p.value === 'down') });
  }

  const serverLines = `\`server 127.0.0.1:${ports[0]};\` (blue) and \`server 127.0.0.1:${ports[1]} down;\` (green, or the other way round)`;
  if (found.blue.length === 0 && found.green.length === 0) {
    throw invalid(
      `upstream ${name} has no server on port ${ports[0]} (blue) or ${ports[1]} (green)`,
      `add ${serverLines} to upstream ${name} in ${where}, or set upstreamName of ${app.name} in the config if its vhost proxies to another upstream`,
    );
  }
  for (const colour of COLOURS) {
    const servers = found[colour];
    const port = colourPort(app.portBase, colour);
    if (servers.length === 0) {
      throw invalid(`upstream ${name} has no server on port ${port} (${colour})`, `upstream ${name} in ${where} needs ${serverLines}`);
    }
    if (servers.length > 1) {
      throw invalid(
        `upstream ${name} names ${colour} (port ${port}) ${servers.length} times (lines ${servers.map((s) => s.words[0]!.line).join(', ')})`,
        `keep one server on port ${port} in upstream ${name} in ${where}: switchyard marks each colour's one server up or down`,
      );
    }
  }

  const servers = { blue: found.blue[0]!, green: found.green[0]! };
  const up = COLOURS.filter((c) => servers[c].downs.length === 0);
  if (up.length !== 1) {
    throw invalid(`upstream ${name} has ${up.length === 0 ? 'both colours down' : 'both colours up'}: cannot tell which colour is live`, `mark exactly one of its two servers \`down\` in upstream ${name} in ${where}`);
  }
  return { live: up[0]!, servers };
}

/** Every `upstream <name> { ... }` in the file, however deep. */
function findUpstreams(directives: NginxDirective[]): NginxDirective[] {
  return directives.flatMap((d) => {
    if (!d.block) return [];
    const isUpstream = d.words[0]!.value === 'upstream' && d.words.length === 2;
    return isUpstream ? [d] : findUpstreams(d.block);
  });
}

/**
 * Reads the live colour from the app's upstream: exactly one of its two
 * colour servers must be up and the other `down`.
 *
 * @example
 * parseUpstream('upstream blogLB { server 127.0.0.1:30000; server 127.0.0.1:30001 down; }', { name: 'blog', portBase: 30000 }, 'blog.conf').live // 'blue'
 */
export function parseUpstream(text: string, app: UpstreamApp, where: string): ParsedUpstream {
  return { live: readAppUpstream(text, app, where).live };
}

/**
 * Rewrites the file so that `live` is up and the other colour `down` in the
 * app's upstream, keeping every other byte. Switching to the colour already
 * live returns the text as it was. The result is read again before it is
 * returned, so a rendering that would not leave `live` up never reaches a node.
 *
 * @example
 * renderUpstream('upstream blogLB { server 127.0.0.1:30000; server 127.0.0.1:30001 down; }', { name: 'blog', portBase: 30000 }, 'green', 'blog.conf')
 * // 'upstream blogLB { server 127.0.0.1:30000 down; server 127.0.0.1:30001; }'
 */
export function renderUpstream(text: string, app: UpstreamApp, live: Colour, where: string): string {
  const { servers } = readAppUpstream(text, app, where);
  const edits: Edit[] = COLOURS.flatMap((colour) => {
    const server = servers[colour];
    const wantDown = colour !== live;
    if (wantDown === server.downs.length > 0) return [];
    return wantDown ? [{ start: server.words.at(-1)!.end, end: server.words.at(-1)!.end, text: ' down' }] : server.downs.map((d) => removal(text, server.words, d));
  });
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  const check = readAppUpstream(out, app, where).live;
  if (check !== live) {
    throw new SwitchyardError('internal', `rendering ${where} for ${live} left ${check} live; refusing to write it`);
  }
  return out;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Removes a `down` word with the whitespace that leads it, back to the word
 * before it. Where a comment sits between the two, only the spaces before
 * `down` on its own line go, so the comment still ends where it did.
 */
function removal(text: string, words: NginxWord[], down: NginxWord): Edit {
  const before = words[words.indexOf(down) - 1]!;
  const gap = text.slice(before.end, down.start);
  if (/^[ \t\r\n]*$/.test(gap)) return { start: before.end, end: down.end, text: '' };
  const spaces = /[ \t]*$/.exec(gap)![0].length;
  return { start: down.start - spaces, end: down.end, text: '' };
}

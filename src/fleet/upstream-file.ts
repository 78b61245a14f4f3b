import { SwitchyardError } from '../errors/switchyard-error.js';
import { type Colour, colourPort } from '../validate/patterns.js';

/**
 * An app's upstream file on a node names both colours' NodePorts and marks the
 * idle one `down`:
 *
 *     upstream blogLB {
 *         server 127.0.0.1:30000;
 *         server 127.0.0.1:30001 down;
 *     }
 *
 * Parsing finds every `server` directive on either port, outside comments, in
 * any upstream of the file; rewriting touches only the `down` flag of those
 * directives, so weights, max_fails, keepalive, comments and other upstreams
 * stay byte for byte as they were.
 */
export interface UpstreamServer {
  colour: Colour;
  down: boolean;
  /** 1-based line, for error messages. */
  line: number;
}

export interface ParsedUpstream {
  live: Colour;
  servers: UpstreamServer[];
}

// A `server` directive: keyword, address, parameters up to the `;`.
const SERVER = /(?<![^\s;{])server(\s+)([^\s;#]+)([^;#]*);/g;

interface Match {
  colour: Colour;
  down: boolean;
  line: number;
  /** Offsets in the file of the parameter text, which is all a rewrite changes. */
  paramsStart: number;
  paramsEnd: number;
  params: string;
}

function findServers(text: string, portBase: number): Match[] {
  const ports = new Map<number, Colour>([
    [colourPort(portBase, 'blue'), 'blue'],
    [colourPort(portBase, 'green'), 'green'],
  ]);
  const found: Match[] = [];
  let offset = 0;
  text.split('\n').forEach((raw, index) => {
    const hash = raw.indexOf('#');
    const code = hash === -1 ? raw : raw.slice(0, hash);
    for (const m of code.matchAll(SERVER)) {
      const port = Number(/:(\d+)$/.exec(m[2]!)?.[1]);
      const colour = ports.get(port);
      if (!colour) continue;
      const params = m[3]!;
      const paramsStart = offset + m.index! + 'server'.length + m[1]!.length + m[2]!.length;
      found.push({
        colour,
        down: /(^|\s)down(\s|$)/.test(params),
        line: index + 1,
        paramsStart,
        paramsEnd: paramsStart + params.length,
        params,
      });
    }
    offset += raw.length + 1;
  });
  return found;
}

/**
 * Reads the live colour: exactly one colour must be up and the other `down`.
 *
 * @example
 * parseUpstream('upstream blogLB { server 127.0.0.1:30000; server 127.0.0.1:30001 down; }', 30000, 'blog.conf').live // 'blue'
 */
export function parseUpstream(text: string, portBase: number, where: string): ParsedUpstream {
  const servers = findServers(text, portBase);
  const hint = `the file must name 127.0.0.1:${portBase} (blue) and :${portBase + 1} (green) with exactly one marked down`;
  const colours = (['blue', 'green'] as const).map((colour) => {
    const of = servers.filter((s) => s.colour === colour);
    if (of.length === 0) {
      throw new SwitchyardError('upstream-invalid', `${where} has no server on port ${colourPort(portBase, colour)} (${colour})`, { hint });
    }
    const downs = new Set(of.map((s) => s.down));
    if (downs.size > 1) {
      throw new SwitchyardError('upstream-invalid', `${where} marks ${colour} both up and down (lines ${of.map((s) => s.line).join(', ')})`, { hint });
    }
    return { colour, down: of[0]!.down };
  });
  const up = colours.filter((c) => !c.down);
  if (up.length !== 1) {
    const state = up.length === 0 ? 'both colours down' : 'both colours up';
    throw new SwitchyardError('upstream-invalid', `${where} has ${state}: cannot tell which colour is live`, { hint });
  }
  return {
    live: up[0]!.colour,
    servers: servers.map(({ colour, down, line }) => ({ colour, down, line })),
  };
}

/**
 * Rewrites the file so that `live` is up and the other colour `down`, keeping
 * every other byte. Switching to the colour already live returns the text as
 * it was. The result is parsed again before it is returned, so a rendering
 * that would leave both colours down (or neither) never reaches a node.
 */
export function renderUpstream(text: string, portBase: number, live: Colour, where: string): string {
  parseUpstream(text, portBase, where);
  let out = '';
  let from = 0;
  for (const s of findServers(text, portBase)) {
    const wantDown = s.colour !== live;
    if (wantDown === s.down) continue;
    out += text.slice(from, s.paramsStart) + (wantDown ? markDown(s.params) : markUp(s.params));
    from = s.paramsEnd;
  }
  out += text.slice(from);
  const check = parseUpstream(out, portBase, where);
  if (check.live !== live) {
    throw new SwitchyardError('upstream-invalid', `rendering ${where} for ${live} gave ${check.live} live; refusing to write it`);
  }
  return out;
}

/** `" weight=5"` → `" weight=5 down"`; keeps trailing spaces before the `;`. */
function markDown(params: string): string {
  const trimmed = params.trimEnd();
  return `${trimmed} down${params.slice(trimmed.length)}`;
}

/** Removes the `down` flag and the whitespace that led it. */
function markUp(params: string): string {
  return params.replace(/\s+down(?=\s|$)|^down\s*/, '');
}

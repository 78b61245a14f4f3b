import { SwitchyardError } from '../errors/switchyard-error.js';

/**
 * Strict patterns for everything that reaches Kubernetes, a shell or a file
 * (docs/architecture.md, invariant 8). Checked at the edge; the core trusts its inputs.
 */
export const COLOURS = ['blue', 'green'] as const;
export type Colour = (typeof COLOURS)[number];

/** DNS-1123 label, short enough that `<app>-green` and `switchyard-<app>` still fit in 63. */
export const APP_NAME = /^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$/;
/**
 * A version is a colour's image tag and its `switchyard/version` label, so it
 * follows the stricter rule of the two, a Kubernetes label value's: 1 to 63
 * letters, digits, `.`, `_` and `-`, starting and ending with a letter or
 * digit (empty, which a label allows, is no version). Checked at the edge, a
 * bad version changes nothing; the API server would refuse it only once the
 * deploy had begun.
 */
export const VERSION = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Kubernetes namespace (DNS-1123 label). */
export const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** IPv4 dotted quad or a DNS host name. */
export const NODE_ADDRESS =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/;
/** A node's display name (EC2 Name tag or static name). */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const describe = (value: string): string =>
  value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)` : JSON.stringify(value);

function check(kind: string, pattern: RegExp, value: string, hint: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new SwitchyardError('input-invalid', `invalid ${kind} ${describe(String(value))}`, { hint });
  }
  return value;
}

export const checkAppName = (v: string): string =>
  check('app name', APP_NAME, v, 'use lower-case letters, digits and dashes, starting with a letter (at most 42)');
export const checkVersion = (v: string): string =>
  check('version', VERSION, v, 'use 1 to 63 letters, digits, ".", "_" and "-", starting and ending with a letter or digit (a version is an image tag and a Kubernetes label value), e.g. 20151025.143403');
export const checkNodeAddress = (v: string): string =>
  check('node address', NODE_ADDRESS, v, 'use an IPv4 address or a host name');

export const otherColour = (c: Colour): Colour => (c === 'blue' ? 'green' : 'blue');

/** Blue always ends in 0 and green in 1: portBase 30000 gives blue 30000, green 30001. */
export const colourPort = (portBase: number, colour: Colour): number => portBase + (colour === 'blue' ? 0 : 1);

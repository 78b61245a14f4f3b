import { createHash } from 'node:crypto';
import { Ec2ApiError } from './ec2-api-error.js';
import { INSTANCE_STATE_CODES, type Ec2StandInInstance } from './ec2-instance.js';

export interface DescribeInstancesPage {
  instances: Ec2StandInInstance[];
  nextToken?: string;
}

/** The filters DescribeInstances accepts here; each maps an instance to the values a filter value may match. */
const FILTERS: Record<string, (i: Ec2StandInInstance) => string[]> = {
  'tag-key': (i) => Object.keys(i.tags),
  'tag-value': (i) => Object.values(i.tags),
  'instance-state-name': (i) => [i.state],
  'instance-state-code': (i) => [String(INSTANCE_STATE_CODES[i.state])],
  'instance-id': (i) => [i.instanceId],
  'availability-zone': (i) => [i.availabilityZone],
  'reservation-id': (i) => [i.reservationId],
  'private-ip-address': (i) => (i.privateIpAddress ? [i.privateIpAddress] : []),
  'ip-address': (i) => (i.publicIpAddress ? [i.publicIpAddress] : []),
};

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const KNOWN_PARAMETER = /^(?:Action|Version|DryRun|MaxResults|NextToken|InstanceId\.\d+|Filter\.\d+\.(?:Name|Value\.\d+))$/;

interface Filter {
  name: string;
  values: string[];
}

/**
 * DescribeInstances over the stand-in's instances, with EC2's semantics:
 * values of one filter are alternatives, filters must all match, values may
 * use `*` and `?` wildcards; InstanceId.N must all exist; MaxResults (5..1000,
 * not together with InstanceId) pages by instance with an opaque NextToken
 * that is only valid for the same query.
 */
export function describeInstances(all: readonly Ec2StandInInstance[], params: URLSearchParams): DescribeInstancesPage {
  for (const key of params.keys()) {
    if (!KNOWN_PARAMETER.test(key)) throw new Ec2ApiError('UnknownParameter', `The parameter ${key} is not recognized`);
  }
  const filters = parseFilters(params);
  const ids = numbered(params, /^InstanceId\.(\d+)$/).map(([, v]) => v);
  for (const id of ids) {
    if (!INSTANCE_ID.test(id)) throw new Ec2ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    if (!all.some((i) => i.instanceId === id)) {
      throw new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    }
  }
  const maxResults = parseMaxResults(params, ids.length > 0);
  const matching = all.filter((i) => (ids.length === 0 || ids.includes(i.instanceId)) && filters.every((f) => matches(f, i)));

  const query = queryKey(filters, ids);
  const offset = parseNextToken(params.get('NextToken'), query);
  if (maxResults === undefined) return { instances: matching.slice(offset) };
  const end = offset + maxResults;
  const page = matching.slice(offset, end);
  return end < matching.length ? { instances: page, nextToken: encodeToken(end, query) } : { instances: page };
}

function parseFilters(params: URLSearchParams): Filter[] {
  return numbered(params, /^Filter\.(\d+)\.Name$/).map(([n, name]) => {
    if (!(name in FILTERS) && !/^tag:./.test(name)) {
      throw new Ec2ApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    const values = numbered(params, new RegExp(`^Filter\\.${n}\\.Value\\.(\\d+)$`)).map(([, v]) => v);
    if (values.length === 0) throw new Ec2ApiError('InvalidParameterValue', `The filter '${name}' requires a value`);
    return { name, values };
  });
}

function matches(filter: Filter, instance: Ec2StandInInstance): boolean {
  const tag = /^tag:(.+)$/.exec(filter.name)?.[1];
  const seen = tag === undefined ? FILTERS[filter.name]!(instance) : tag in instance.tags ? [instance.tags[tag]!] : [];
  const patterns = filter.values.map(wildcard);
  return seen.some((v) => patterns.some((p) => p.test(v)));
}

/** EC2 filter values: `*` any run of characters, `?` exactly one; everything else literal. */
function wildcard(value: string): RegExp {
  const body = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** `[N, value]` pairs of the parameters whose names match, in the order of N. */
function numbered(params: URLSearchParams, pattern: RegExp): Array<[string, string]> {
  const found: Array<[number, string, string]> = [];
  for (const [key, value] of params) {
    const n = pattern.exec(key)?.[1];
    if (n !== undefined) found.push([Number(n), n, value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, n, v]) => [n, v]);
}

function parseMaxResults(params: URLSearchParams, withIds: boolean): number | undefined {
  const raw = params.get('MaxResults');
  if (raw === null) return undefined;
  if (withIds) {
    throw new Ec2ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 5 || n > 1000) {
    throw new Ec2ApiError('InvalidParameterValue', `Value ( ${raw} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
  }
  return n;
}

function queryKey(filters: Filter[], ids: string[]): string {
  return createHash('sha256').update(JSON.stringify([filters, ids])).digest('base64url').slice(0, 16);
}

function encodeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: query })).toString('base64url');
}

function parseNextToken(token: string | null, query: string): number {
  if (token === null || token === '') return 0;
  try {
    const { o, q } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o: unknown; q: unknown };
    if (q === query && Number.isInteger(o) && (o as number) >= 0) return o as number;
  } catch {
    // Falls through to the same answer as a token for another query.
  }
  throw new Ec2ApiError('InvalidPaginationToken', 'The specified pagination token is not valid or is expired.');
}

import type { DiscoveryConfig } from '../config/schema.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { Ec2Discovery, type Ec2DiscoveryOptions } from './ec2-discovery.js';
import type { Discovery } from './fleet-node.js';
import { StaticDiscovery } from './static-discovery.js';

/** What the entry point (or a test) adds to the config: a stand-in's endpoint and keys, paging and retry tuning. */
export type CreateDiscoveryOptions = Partial<
  Pick<Ec2DiscoveryOptions, 'endpoint' | 'region' | 'credentials' | 'pageSize' | 'maxAttempts' | 'connectTimeoutMs' | 'requestTimeoutMs'>
>;

/**
 * The discovery the config asks for: EC2 by tag or the static list. Options
 * override the config's EC2 endpoint and region and supply credentials
 * (otherwise the SDK's default chain).
 *
 * @example
 * const discovery = createDiscovery(config.discovery);
 * const nodes = await discovery.discover();
 * // in a test: createDiscovery(config.discovery, { endpoint: ec2.endpoint, region: ec2.region, credentials: ec2.credentials })
 */
export function createDiscovery(config: DiscoveryConfig, options: CreateDiscoveryOptions = {}): Discovery {
  if (config.static) return new StaticDiscovery(config.static, config.sshPort);
  if (!config.ec2) {
    throw new SwitchyardError('config-invalid', 'discovery has neither "ec2" nor "static"', {
      hint: 'set discovery.ec2 (tags) or discovery.static (a node list) in the config',
    });
  }
  const { endpoint = config.ec2.endpoint, region = config.ec2.region, ...rest } = options;
  return new Ec2Discovery({
    ...rest,
    tags: config.ec2.tags,
    address: config.ec2.address,
    sshPort: config.sshPort,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
  });
}

import { SwitchyardError } from '../errors/switchyard-error.js';

/** Where discovery was looking, so an error can say so. */
export interface Ec2Where {
  /** The configured endpoint, or undefined for AWS's own endpoint of the region. */
  endpoint: string | undefined;
  region: string | undefined;
}

/** Connection failures the SDK passes through from Node's HTTP stack. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * Turns what @aws-sdk/client-ec2 throws into a SwitchyardError that says
 * what went wrong and what to do: the table of known failures and their fixes.
 *
 * @example
 * try { await client.send(command) } catch (err) { throw explainEc2Error(err, { endpoint, region }) }
 */
export function explainEc2Error(err: unknown, where: Ec2Where): SwitchyardError {
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; errors?: unknown[] };
  const name = e.name ?? '';
  const region = where.region ?? '(unset)';
  const target = where.endpoint ? `the EC2 endpoint ${where.endpoint}` : `EC2 in region ${region}`;
  const fail = (message: string, hint: string): SwitchyardError =>
    new SwitchyardError('discovery-failed', message, { hint, cause: err, details: { ...where, awsError: name || e.code } });

  if (name === 'CredentialsProviderError') {
    return fail(
      'EC2 discovery found no AWS credentials',
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or run the agent with an instance or task role',
    );
  }
  if (name === 'AuthFailure') {
    return fail(
      `${target} refused the AWS credentials (AuthFailure)`,
      "check that the access key exists and is active, that the secret key matches it, and that this machine's clock is right",
    );
  }
  if (name === 'UnauthorizedOperation') {
    return fail(
      `access denied: the AWS identity may not call ec2:DescribeInstances on ${target}`,
      'grant ec2:DescribeInstances to the role or user the agent runs as',
    );
  }
  if (/Region is missing/i.test(e.message ?? '')) {
    return fail('EC2 discovery has no AWS region', 'set discovery.ec2.region in the config, or AWS_REGION in the environment');
  }
  if (isNetworkFailure(e)) {
    return fail(
      `could not reach ${target}: ${e.code ?? name} ${e.message ?? ''}`.trim(),
      'check the network path (proxy, firewall, VPC endpoint) and discovery.ec2.region / discovery.ec2.endpoint',
    );
  }
  return fail(
    `EC2 DescribeInstances on ${target} failed: ${name || 'error'}: ${e.message ?? String(err)}`,
    'see the AWS error above; if it persists, check the AWS service health for the region',
  );
}

function isNetworkFailure(e: { name?: string; code?: string; errors?: unknown[] }): boolean {
  if (e.name === 'TimeoutError') return true;
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return true;
  // Node reports a failed connect to every address of a host name as an AggregateError.
  return (e.errors ?? []).some((inner) => isNetworkFailure((inner ?? {}) as { code?: string }));
}

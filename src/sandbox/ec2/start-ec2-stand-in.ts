import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSigV4 } from './check-sigv4.js';
import { describeInstances } from './describe-instances.js';
import { Ec2ApiError } from './ec2-api-error.js';
import type { Ec2StandInInstance } from './ec2-instance.js';
import { EC2_API_VERSION, describeInstancesXml, errorXml } from './ec2-xml.js';
import { readRequestBody } from '../read-request-body.js';

export interface Ec2Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Ec2StandInOptions {
  instances?: Ec2StandInInstance[];
  /** The key the stand-in accepts (a fixed test key by default). */
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
}

/** One request as the stand-in saw it, and how it answered. */
export interface Ec2StandInRequest {
  action: string | undefined;
  params: Record<string, string>;
  accessKeyId: string | undefined;
  status: number;
  errorCode?: string;
  /** False when the stand-in could not serve it (anything but a success or a deliberate credentials answer). */
  served: boolean;
}

export interface Ec2StandIn {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  endpoint: string;
  region: string;
  /** A key allowed to call DescribeInstances. */
  credentials: Ec2Credentials;
  /** A valid key whose identity may not call DescribeInstances: answered UnauthorizedOperation. */
  deniedCredentials: Ec2Credentials;
  setInstances(instances: Ec2StandInInstance[]): void;
  /** Every request, in order. */
  readonly requests: readonly Ec2StandInRequest[];
  /** Requests it could not serve; a passing test expects none. */
  readonly unserved: readonly Ec2StandInRequest[];
  close(): Promise<void>;
}


/**
 * Starts a stand-in for the EC2 Query API on 127.0.0.1 (ephemeral port) that
 * the real @aws-sdk/client-ec2 talks to: SigV4-signed form POSTs, answered
 * with EC2's XML. It serves DescribeInstances (filters, InstanceId.N,
 * MaxResults/NextToken) and answers any other action InvalidAction.
 *
 * @example
 * const ec2 = await startEc2StandIn({ instances: [ec2Instance({ id: 'i-0123456789abcdef0', name: 'node-a', privateIp: '10.0.1.11' })] });
 * const client = new EC2Client({ endpoint: ec2.endpoint, region: ec2.region, credentials: ec2.credentials });
 * // ...
 * expect(ec2.unserved).toEqual([]);
 * await ec2.close();
 */
export async function startEc2StandIn(options: Ec2StandInOptions = {}): Promise<Ec2StandIn> {
  const region = options.region ?? 'us-east-1';
  const credentials = {
    accessKeyId: options.accessKeyId ?? 'AKIASTANDIN000000001',
    secretAccessKey: options.secretAccessKey ?? 'standin-secret-key-0000000000000000000001',
  };
  const deniedCredentials = { accessKeyId: 'AKIASTANDINDENIED001', secretAccessKey: 'standin-secret-key-denied-0000000000000001' };
  const secrets = new Map([credentials, deniedCredentials].map((c) => [c.accessKeyId, c.secretAccessKey]));
  let instances = [...(options.instances ?? [])];
  const requests: Ec2StandInRequest[] = [];

  const server = createServer((req, res) => {
    readRequestBody(req)
      .then((body) => requests.push(answer(req, res, body)))
      .catch((err: unknown) => {
        requests.push({ action: undefined, params: {}, accessKeyId: undefined, status: 500, errorCode: 'InternalError', served: false });
        if (!res.headersSent) send(res, 500, errorXml(randomUUID(), 'InternalError', String(err)));
      });
  });

  function answer(req: IncomingMessage, res: ServerResponse, body: Buffer): Ec2StandInRequest {
    const params = new URLSearchParams(body.toString('utf8'));
    const seen: Ec2StandInRequest = {
      action: params.get('Action') ?? undefined,
      params: Object.fromEntries(params),
      accessKeyId: undefined,
      status: 200,
      served: true,
    };
    const requestId = randomUUID();
    try {
      if (req.method !== 'POST' || (req.url ?? '/') !== '/') {
        throw new Ec2ApiError('UnsupportedProtocol', `${req.method} ${req.url} is not served here; the SDK POSTs to /`);
      }
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        throw new Ec2ApiError('MalformedQueryString', 'expected a form-encoded body');
      }
      seen.accessKeyId = checkSigV4({ method: 'POST', url: req.url ?? '/', headers: req.headers, body }, region, (id) => secrets.get(id));
      if (seen.action === undefined) throw new Ec2ApiError('MissingAction', 'The request must contain the parameter Action');
      const version = params.get('Version');
      if (version !== EC2_API_VERSION) {
        throw new Ec2ApiError('NoSuchVersion', `The requested version (${version}) of service AmazonEC2 does not exist`);
      }
      if (seen.action !== 'DescribeInstances') {
        throw new Ec2ApiError('InvalidAction', `The action ${seen.action} is not valid for this web service.`);
      }
      if (seen.accessKeyId === deniedCredentials.accessKeyId) {
        throw new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403, true);
      }
      const page = describeInstances(instances, params);
      if (params.get('DryRun') === 'true') {
        throw new Ec2ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412, true);
      }
      send(res, 200, describeInstancesXml(requestId, page.instances, page.nextToken));
    } catch (err) {
      if (!(err instanceof Ec2ApiError)) throw err;
      Object.assign(seen, { status: err.status, errorCode: err.code, served: err.deliberate });
      send(res, err.status, errorXml(requestId, err.code, err.message));
    }
    return seen;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    credentials,
    deniedCredentials,
    setInstances(next) {
      instances = [...next];
    },
    requests,
    get unserved() {
      return requests.filter((r) => !r.served);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

import { INSTANCE_STATE_CODES, type Ec2StandInInstance } from './ec2-instance.js';

export const EC2_API_VERSION = '2016-11-15';
const NAMESPACE = `http://ec2.amazonaws.com/doc/${EC2_API_VERSION}/`;
/** The account the stand-in's reservations belong to. */
const OWNER_ID = '123456789012';

const escape = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

const el = (name: string, value: string | undefined): string => (value === undefined ? '' : `<${name}>${escape(value)}</${name}>`);

/** The DescribeInstances answer as EC2 writes it: instances grouped by reservation, in order. */
export function describeInstancesXml(requestId: string, instances: readonly Ec2StandInInstance[], nextToken?: string): string {
  const reservations: Array<{ id: string; instances: Ec2StandInInstance[] }> = [];
  for (const i of instances) {
    const last = reservations.at(-1);
    if (last?.id === i.reservationId) last.instances.push(i);
    else reservations.push({ id: i.reservationId, instances: [i] });
  }
  const body = reservations
    .map(
      (r) =>
        `<item>${el('reservationId', r.id)}${el('ownerId', OWNER_ID)}<groupSet/>` +
        `<instancesSet>${r.instances.map(instanceXml).join('')}</instancesSet></item>`,
    )
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${NAMESPACE}">` +
    `${el('requestId', requestId)}<reservationSet>${body}</reservationSet>${el('nextToken', nextToken)}</DescribeInstancesResponse>`
  );
}

function instanceXml(i: Ec2StandInInstance): string {
  const tags = Object.entries(i.tags)
    .map(([k, v]) => `<item>${el('key', k)}${el('value', v)}</item>`)
    .join('');
  const privateDns = i.privateIpAddress ? `ip-${i.privateIpAddress.replaceAll('.', '-')}.ec2.internal` : undefined;
  return (
    `<item>${el('instanceId', i.instanceId)}${el('imageId', i.imageId)}` +
    `<instanceState>${el('code', String(INSTANCE_STATE_CODES[i.state]))}${el('name', i.state)}</instanceState>` +
    `${el('privateDnsName', privateDns)}${el('instanceType', i.instanceType)}${el('launchTime', i.launchTime.toISOString())}` +
    `<placement>${el('availabilityZone', i.availabilityZone)}<tenancy>default</tenancy></placement>` +
    `${el('privateIpAddress', i.privateIpAddress)}${el('ipAddress', i.publicIpAddress)}` +
    `${tags ? `<tagSet>${tags}</tagSet>` : ''}</item>`
  );
}

/** EC2's error document (note: `RequestID` here, `requestId` in successful answers). */
export function errorXml(requestId: string, code: string, message: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el('Code', code)}${el('Message', message)}` +
    `</Error></Errors>${el('RequestID', requestId)}</Response>`
  );
}

import type { V1Service } from '@kubernetes/client-node';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { colourPort, COLOURS, type Colour } from '../validate/patterns.js';
import { colourName, LABEL_COLOUR } from './colour-names.js';
import { isNotFound, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';

export interface PreflightApp {
  name: string;
  namespace: string;
  portBase: number;
}

/** What is wrong with one colour's Service, or nothing. */
export function serviceProblems(app: PreflightApp, colour: Colour, svc: V1Service | undefined): string[] {
  const name = colourName(app.name, colour);
  const where = `Service ${app.namespace}/${name}`;
  if (!svc) return [`${where} is missing`];
  const problems: string[] = [];
  const port = colourPort(app.portBase, colour);
  if (svc.spec?.type !== 'NodePort') problems.push(`${where} is of type ${svc.spec?.type ?? 'ClusterIP'}, not NodePort`);
  const nodePorts = (svc.spec?.ports ?? []).map((p) => p.nodePort).filter((p) => p !== undefined);
  if (!nodePorts.includes(port)) problems.push(`${where} has nodePort ${nodePorts.join(', ') || 'none'}, expected ${port}`);
  const selector = svc.spec?.selector ?? {};
  const allowed: Record<string, string> = { name, app: app.name, [LABEL_COLOUR]: colour };
  if (selector.name !== name) problems.push(`${where} selects name=${selector.name ?? '(nothing)'}, expected name=${name}`);
  for (const [k, v] of Object.entries(selector)) {
    if (k !== 'name' && allowed[k] !== v) problems.push(`${where} also selects ${k}=${v}, which the ${colour} pods do not carry`);
  }
  return problems;
}

/**
 * Checks, before a deploy changes anything, that the app's namespace exists
 * and both colour Services exist as NodePort on the conventional ports
 * (portBase+0 blue, +1 green) selecting `name: <app>-<colour>`. Every problem
 * is named in one error.
 *
 * @example
 * await preflightServices(kube, { name: 'blog', namespace: 'blog', portBase: 30000 });
 */
export async function preflightServices(kube: KubeClients, app: PreflightApp): Promise<void> {
  try {
    await kube.core.readNamespace({ name: app.namespace });
  } catch (err) {
    if (isNotFound(err)) {
      throw new SwitchyardError('kube-preflight-failed', `namespace ${app.namespace} of app ${app.name} does not exist`, {
        hint: 'create it, or fix the app\'s namespace in the config',
      });
    }
    throw kubeError(err, 'read', `namespace ${app.namespace}`);
  }
  const services = await Promise.all(
    COLOURS.map(async (colour) => {
      const name = colourName(app.name, colour);
      try {
        return await kube.core.readNamespacedService({ name, namespace: app.namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw kubeError(err, 'read', `Service ${app.namespace}/${name}`);
      }
    }),
  );
  const problems = COLOURS.flatMap((colour, i) => serviceProblems(app, colour, services[i]));
  if (problems.length > 0) {
    throw new SwitchyardError('kube-preflight-failed', `app ${app.name} is not ready for blue/green: ${problems.join('; ')}`, {
      hint: `create both NodePort Services (ports ${colourPort(app.portBase, 'blue')} and ${colourPort(app.portBase, 'green')}), e.g. with the salt states`,
      details: { problems },
    });
  }
}

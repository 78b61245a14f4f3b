import { readFile } from 'node:fs/promises';
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { mirrorOf, type NewColour } from './create-colour.js';

/**
 * Reads an app's ReplicaSet template (config `template:`), used when no colour
 * is live yet: what a first deploy creates from.
 *
 * @example
 * const source = await loadReplicaSetTemplate('apps/blog-replicaset.yaml');
 * await ensureColourCreated(kube, { app, namespace, colour: 'blue', version, replicas: 1, ...source });
 */
export async function loadReplicaSetTemplate(path: string): Promise<Pick<NewColour, 'template' | 'labels'>> {
  let doc: V1ReplicaSet;
  try {
    doc = parse(await readFile(path, 'utf8')) as V1ReplicaSet;
  } catch (err) {
    throw new SwitchyardError('config-invalid', `cannot read app template ${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, {
      hint: 'check the path in the app\'s `template` setting and that it is valid YAML',
      cause: err,
    });
  }
  if (doc?.kind !== 'ReplicaSet' || !doc.spec?.template?.spec?.containers?.length) {
    throw new SwitchyardError('config-invalid', `app template ${path} is not a ReplicaSet with spec.template.spec.containers`, {
      hint: 'write it as a ReplicaSet manifest (kind: ReplicaSet) with at least one container',
    });
  }
  return mirrorOf(doc);
}

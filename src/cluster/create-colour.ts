import type { V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { ANNOTATION_DEPLOY_ID, ANNOTATION_VERSION, colourLabels, colourName, LABEL_COLOUR, LABEL_MANAGED_BY, LABEL_VERSION, type ColourRef } from './colour-names.js';
import { isConflict, kubeError } from './kube-error.js';
import type { KubeClients } from './kube-clients.js';
import { toColourStatus, type ColourStatus } from './read-colours.js';

export interface NewColour extends ColourRef {
  version: string;
  replicas: number;
  /** The pod template to copy: the live ReplicaSet's, the app's template from config, or a recorded one. */
  template: V1PodTemplateSpec;
  /** ReplicaSet labels to carry over (from the live ReplicaSet or the template file). */
  labels?: Record<string, string>;
  /** Container whose image tag becomes the version; the first one when unset. */
  container?: string;
  /**
   * 'set-tag' (the default) sets the container's image tag to the version.
   * 'as-recorded' keeps every image exactly as the template has it: a
   * retired colour re-created from its recorded template runs what it ran,
   * also when it was made by hand with a digest-only or tagless image.
   */
  image?: 'set-tag' | 'as-recorded';
  deployId?: string;
}

/** The pieces of an existing ReplicaSet that a mirror copies. */
export function mirrorOf(rs: V1ReplicaSet): Pick<NewColour, 'template' | 'labels'> {
  return { template: rs.spec?.template ?? {}, ...(rs.metadata?.labels ? { labels: rs.metadata.labels } : {}) };
}

/** `repo/app:old` or `repo/app@sha256:…` → `repo/app:<version>` (a registry port stays). */
export function withTag(image: string, version: string): string {
  const bare = image.split('@')[0]!;
  const slash = bare.lastIndexOf('/');
  const colon = bare.lastIndexOf(':');
  return `${colon > slash ? bare.slice(0, colon) : bare}:${version}`;
}

const withoutColourLabels = (labels: Record<string, string> | undefined): Record<string, string> => {
  const { name: _name, [LABEL_COLOUR]: _c, [LABEL_VERSION]: _v, 'pod-template-hash': _h, ...rest } = labels ?? {};
  return rest;
};

/**
 * The new colour's ReplicaSet: the given pod template with name, labels and
 * selector switched to the colour, the container's image tag set to the
 * version (unless the images stay as recorded), and the version in a label
 * and an annotation.
 */
export function buildColourReplicaSet(spec: NewColour): V1ReplicaSet {
  const { app, namespace, colour, version } = spec;
  const template = structuredClone(spec.template);
  if (spec.image !== 'as-recorded') {
    const containers = template.spec?.containers ?? [];
    const target = spec.container ? containers.find((c) => c.name === spec.container) : containers[0];
    if (!target?.image) {
      throw new SwitchyardError('input-invalid', `pod template for ${colourName(app, colour)} has no container ${spec.container ? JSON.stringify(spec.container) : ''} with an image`.replace('  ', ' '), {
        hint: 'check the app template in the config, or the app\'s `container` setting',
      });
    }
    target.image = withTag(target.image, version);
  }
  const labels = { ...withoutColourLabels(template.metadata?.labels), ...colourLabels(app, colour, version) };
  const annotations = { ...template.metadata?.annotations, [ANNOTATION_VERSION]: version };
  template.metadata = { ...template.metadata, labels, annotations };
  delete template.metadata.name;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: colourName(app, colour),
      namespace,
      labels: { ...withoutColourLabels(spec.labels), ...colourLabels(app, colour, version), [LABEL_MANAGED_BY]: 'switchyard' },
      annotations: { [ANNOTATION_VERSION]: version, ...(spec.deployId ? { [ANNOTATION_DEPLOY_ID]: spec.deployId } : {}) },
    },
    spec: { replicas: spec.replicas, selector: { matchLabels: { name: colourName(app, colour) } }, template },
  };
}

/**
 * Creates the colour's ReplicaSet. Idempotent for a resumed deploy: if it
 * already exists at the same version it is returned as it is; at another
 * version (or while being deleted) it is a conflict a person must resolve.
 *
 * @example
 * const live = colours[assessment.live!]!.replicaSet;
 * await ensureColourCreated(kube, { app: 'blog', namespace: 'blog', colour: 'green', version, replicas: 3, ...mirrorOf(live) });
 */
export async function ensureColourCreated(kube: KubeClients, spec: NewColour): Promise<ColourStatus> {
  const body = buildColourReplicaSet(spec);
  const name = body.metadata!.name!;
  const what = `ReplicaSet ${spec.namespace}/${name}`;
  try {
    return toColourStatus(spec.colour, await kube.apps.createNamespacedReplicaSet({ namespace: spec.namespace, body }));
  } catch (err) {
    if (!isConflict(err)) throw kubeError(err, 'create', what);
  }
  let existing: ColourStatus;
  try {
    existing = toColourStatus(spec.colour, await kube.apps.readNamespacedReplicaSet({ name, namespace: spec.namespace }));
  } catch (err) {
    throw kubeError(err, 'read', what);
  }
  if (existing.version === spec.version && !existing.deleting) return existing;
  throw new SwitchyardError('kube-conflict', `cannot create ${what} at version ${spec.version}: it already exists${existing.deleting ? ' and is being deleted' : ` at version ${existing.version ?? 'unknown'}`}`, {
    hint: existing.deleting ? 'wait for the deletion to finish, then try again' : 'a deploy is in flight or was left behind: abort it, or delete that colour first',
  });
}

import type { V1ReplicaSet } from '@kubernetes/client-node';
import { VERSION } from '../validate/patterns.js';
import { ANNOTATION_VERSION, LABEL_VERSION } from './colour-names.js';

/** A colour's version and, where it did not come from switchyard's own label, how it was read or why it is unknown. */
export interface ColourVersion {
  version: string | null;
  /** For a person: "read from the image tag …", or why there is no version. Absent for a colour switchyard made. */
  note?: string;
}

/**
 * A colour's version. A colour switchyard made carries it in its
 * `switchyard/version` label (or annotation). A colour made by hand, adopted
 * on a first deploy, has only its image: the tag of the app's container (the
 * configured `container`, else the first) is its version. A digest-only or
 * tagless image, or a tag that cannot be a version (see VERSION), gives no
 * version, and the note says why; no tag is made up, since a rollback would
 * otherwise re-create the colour with an image that never existed.
 *
 * @example
 * readColourVersion(handMadeReplicaSet, 'web')
 * // { version: '0.9.0', note: 'read from the image tag of container web (registry.example/blog:0.9.0): blog-blue has no switchyard/version label' }
 */
export function readColourVersion(rs: V1ReplicaSet, container?: string): ColourVersion {
  const recorded = rs.metadata?.labels?.[LABEL_VERSION] ?? rs.metadata?.annotations?.[ANNOTATION_VERSION];
  if (recorded) return { version: recorded };
  const name = rs.metadata?.name ?? 'the ReplicaSet';
  const containers = rs.spec?.template?.spec?.containers ?? [];
  const target = container ? containers.find((c) => c.name === container) : containers[0];
  if (!target?.image) {
    return { version: null, note: `${name} has no switchyard/version label and no container ${container ? `${container} ` : ''}with an image to read a version from` };
  }
  const { image } = target;
  const [repository, digest] = image.split('@');
  const colon = repository!.lastIndexOf(':');
  const tag = colon > repository!.lastIndexOf('/') ? repository!.slice(colon + 1) : null;
  if (tag === null) {
    const why = digest ? 'is pinned by digest and has no tag' : 'has no tag';
    return { version: null, note: `version unknown: ${name} has no switchyard/version label and the image of container ${target.name} (${image}) ${why}` };
  }
  if (!VERSION.test(tag)) {
    return { version: null, note: `version unknown: ${name} has no switchyard/version label and the image tag of container ${target.name} (${image}) is no valid version` };
  }
  return { version: tag, note: `read from the image tag of container ${target.name} (${image}): ${name} has no switchyard/version label` };
}

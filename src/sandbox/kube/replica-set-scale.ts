import { KubeStatusError, type KubeObject } from './kube-object.js';
import { selectorString } from './validate-object.js';

/**
 * The `scale` subresource of a ReplicaSet, as kube-apiserver's ScaleREST
 * serves it: an autoscaling/v1 Scale with the ReplicaSet's identity, its
 * desired count in spec.replicas, and the observed count and label selector
 * (as a string) in status. Writing a Scale sets the ReplicaSet's
 * spec.replicas; a resourceVersion on it is a precondition on the ReplicaSet.
 *
 * @example
 * scaleOf(rs); // { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 2, selector: 'name=blog-blue' }, ... }
 */
type Obj = Record<string, unknown>;

export function scaleOf(rs: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = rs.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, ...(namespace ? { namespace } : {}), uid, resourceVersion, creationTimestamp },
    spec: { replicas: (rs.spec as Obj).replicas },
    status: { replicas: ((rs.status ?? {}) as Obj).replicas ?? 0, selector: selectorString((rs.spec as Obj).selector) },
  };
}

/** The ReplicaSet to store for a written Scale, or the 400/422 the real server answers for a bad one. */
export function replicaSetWithScale(rs: KubeObject, scale: unknown, name: string): KubeObject {
  const s = (typeof scale === 'object' && scale !== null ? scale : {}) as { kind?: unknown; apiVersion?: unknown; metadata?: Obj; spec?: Obj };
  if ((s.kind !== undefined && s.kind !== 'Scale') || (s.apiVersion !== undefined && s.apiVersion !== 'autoscaling/v1')) {
    throw new KubeStatusError(400, 'BadRequest', `the body of the request is not an autoscaling/v1 Scale`);
  }
  if (s.metadata?.name !== undefined && s.metadata.name !== name) {
    throw new KubeStatusError(400, 'BadRequest', `the name of the object (${String(s.metadata.name)}) does not match the name on the URL (${name})`);
  }
  const replicas = s.spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    const message = `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`;
    throw new KubeStatusError(422, 'Invalid', `Scale.autoscaling ${JSON.stringify(name)} is invalid: spec.replicas: ${message}`, {
      name, group: 'autoscaling', kind: 'Scale', causes: [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message }],
    });
  }
  const rv = s.metadata?.resourceVersion;
  return {
    ...rs,
    metadata: { ...rs.metadata, resourceVersion: typeof rv === 'string' && rv !== '' ? rv : rs.metadata.resourceVersion },
    spec: { ...(rs.spec as Obj), replicas },
  };
}

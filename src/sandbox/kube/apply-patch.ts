import { KubeStatusError } from './kube-object.js';

/**
 * The three patch formats clients send: JSON Patch (RFC 6902, client-node's
 * default), JSON merge patch (RFC 7386) and strategic merge patch. Strategic
 * merge here knows the list merge keys of the fields switchyard and kubectl
 * touch (containers, ports, env, volumes, conditions, owner references);
 * other lists are replaced, as a merge patch does.
 *
 * @example
 * applyPatch({ spec: { replicas: 1 } }, { spec: { replicas: 3 } }, 'application/merge-patch+json');
 */
export type PatchType = 'application/json-patch+json' | 'application/merge-patch+json' | 'application/strategic-merge-patch+json';

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  conditions: 'type',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
};

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergePatch(target: Json, patch: Json, strategic: boolean, field = ''): Json {
  if (!isObject(patch)) {
    if (strategic && Array.isArray(patch) && Array.isArray(target)) return mergeList(target, patch, field);
    return patch;
  }
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (strategic && key.startsWith('$')) continue;
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value, strategic, key);
  }
  return result;
}

function mergeList(target: Json[], patch: Json[], field: string): Json[] {
  const key = field === 'ports' ? undefined : MERGE_KEYS[field];
  const portKey = field === 'ports' ? (patch.some((p) => isObject(p) && 'containerPort' in p) ? 'containerPort' : 'port') : undefined;
  const mergeKey = key ?? portKey;
  if (!mergeKey) return patch;
  const result = [...target];
  for (const item of patch) {
    if (!isObject(item)) return patch;
    const at = result.findIndex((t) => isObject(t) && t[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) result[at] = mergePatch(result[at], item, true);
    else result.push(mergePatch({}, item, true));
  }
  return result;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new KubeStatusError(422, 'Invalid', `invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[], path: string): { parent: Record<string, Json> | Json[]; last: string } {
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (node === undefined) throw new KubeStatusError(422, 'Invalid', `JSON patch path ${JSON.stringify(path)} does not exist`);
  }
  if (!Array.isArray(node) && !isObject(node)) throw new KubeStatusError(422, 'Invalid', `JSON patch path ${JSON.stringify(path)} does not exist`);
  return { parent: node, last: parts[parts.length - 1]! };
}

function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new KubeStatusError(400, 'BadRequest', 'a JSON patch must be a list of operations');
  let result = structuredClone(doc);
  for (const op of ops as { op: string; path: string; value?: Json }[]) {
    const parts = pointer(op.path);
    if (parts.length === 0) {
      if (op.op === 'replace' || op.op === 'add') result = structuredClone(op.value);
      continue;
    }
    const { parent, last } = parentOf(result, parts, op.path);
    const index = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : -1;
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(index, 0, structuredClone(op.value));
        else parent[last] = structuredClone(op.value);
        break;
      case 'replace':
        if (Array.isArray(parent)) parent[index] = structuredClone(op.value);
        else parent[last] = structuredClone(op.value);
        break;
      case 'remove':
        if (Array.isArray(parent)) parent.splice(index, 1);
        else delete parent[last];
        break;
      case 'test': {
        const actual = Array.isArray(parent) ? parent[index] : parent[last];
        if (JSON.stringify(actual) !== JSON.stringify(op.value)) {
          throw new KubeStatusError(422, 'Invalid', `JSON patch test failed at ${JSON.stringify(op.path)}`);
        }
        break;
      }
      default:
        throw new KubeStatusError(400, 'BadRequest', `JSON patch operation ${JSON.stringify(op.op)} is not supported`);
    }
  }
  return result;
}

export function applyPatch(target: Json, patch: Json, type: PatchType): Json {
  if (type === 'application/json-patch+json') return jsonPatch(target, patch);
  return mergePatch(target, patch, type === 'application/strategic-merge-patch+json');
}

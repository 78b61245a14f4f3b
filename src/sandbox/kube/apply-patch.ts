import { definition, type Definition, type FieldType } from './api-schema.js';
import { KubeStatusError } from './kube-object.js';

/**
 * The three patch formats clients send: JSON Patch (RFC 6902, client-node's
 * default), JSON merge patch (RFC 7386) and strategic merge patch (kubectl's
 * default, and what `kubectl apply` computes). Strategic merge follows the
 * schema of the kind: lists with a merge key (containers by name, ports by
 * containerPort or port, conditions by type ...) merge item by item, and the
 * directives kubectl sends are honoured (`$patch`, `$retainKeys`,
 * `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`); other lists
 * are replaced, as a merge patch does.
 *
 * @example
 * applyPatch({ spec: { replicas: 1 } }, { spec: { replicas: 3 } }, 'application/merge-patch+json', 'io.k8s.api.apps.v1.ReplicaSet');
 */
export type PatchType = 'application/json-patch+json' | 'application/merge-patch+json' | 'application/strategic-merge-patch+json';

type Json = unknown;
type JsonMap = Record<string, Json>;
const isObject = (v: Json): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

const badRequest = (message: string) => new KubeStatusError(400, 'BadRequest', message);

/** The type of `key` inside a value of type `t`: a property of a definition, or the values of a map. */
function fieldType(t: FieldType | undefined, key: string): FieldType | undefined {
  if (!t) return undefined;
  if ('ref' in t) return definition(t.ref).properties[key];
  if ('map' in t) return t.map;
  return undefined;
}

function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: JsonMap = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

function strategicMap(original: Json, patch: JsonMap, t: FieldType | undefined): JsonMap {
  const directive = patch.$patch;
  if (directive !== undefined) {
    if (directive === 'delete') return {};
    if (directive !== 'replace') throw badRequest(`unknown patch type: ${String(directive)} in map`);
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  const result: JsonMap = isObject(original) ? { ...original } : {};
  const before = { ...result };
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest('invalid patch format for retainKeys: must be a list');
    for (const k of Object.keys(patch)) {
      if (!k.startsWith('$') && !retain.includes(k)) throw new KubeStatusError(422, 'Invalid', 'the patch contains a key that is not in the retainKeys list');
    }
    for (const k of Object.keys(result)) if (!retain.includes(k)) delete result[k];
  }
  const orders: [string, Json[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw badRequest('invalid patch format for $setElementOrder: must be a list');
      orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      if (!Array.isArray(value)) throw badRequest('invalid patch format for $deleteFromPrimitiveList: must be a list');
      if (Array.isArray(result[field])) result[field] = (result[field] as Json[]).filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) delete result[key];
    else result[key] = strategicValue(result[key], value, fieldType(t, key));
  }
  for (const [field, order] of orders) {
    const list = result[field];
    const ft = fieldType(t, field);
    if (Array.isArray(list) && ft && 'array' in ft) result[field] = orderList(list, order, Array.isArray(before[field]) ? (before[field] as Json[]) : [], ft.mergeKey);
  }
  return result;
}

function strategicValue(original: Json, patch: Json, t: FieldType | undefined): Json {
  if (isObject(patch)) return strategicMap(isObject(original) ? original : {}, patch, t);
  if (Array.isArray(patch) && t && 'array' in t && t.strategy?.split(',').includes('merge')) {
    return strategicList(Array.isArray(original) ? original : [], patch, t);
  }
  return stripDirectives(patch);
}

/** A replaced value keeps no directive (a list or map sent whole). */
function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((item) => !(isObject(item) && item.$patch !== undefined && Object.keys(item).length === 1)).map(stripDirectives);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, stripDirectives(x)]));
}

function strategicList(original: Json[], patch: Json[], t: Extract<FieldType, { array: FieldType }>): Json[] {
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) return stripDirectives(patch.filter((item) => !(isObject(item) && item.$patch === 'replace'))) as Json[];
  const key = t.mergeKey;
  if (!key) {
    // A list of scalars with the merge strategy (finalizers) is a union that keeps the first occurrence.
    return [...new Set([...original, ...patch])];
  }
  const result = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw badRequest(`the list to merge by ${JSON.stringify(key)} holds a value that is not an object`);
    if (!(key in item)) throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const at = result.findIndex((o) => isObject(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) result[at] = strategicMap(result[at], item, t.array);
    else result.push(strategicMap({}, item, t.array));
  }
  return result;
}

/**
 * `$setElementOrder`: the items named in the order come in that order, and
 * the items only the server has keep their place relative to them, as
 * apimachinery's normalizeElementOrder and mergeSortedSlice place them.
 */
function orderList(merged: Json[], order: Json[], server: Json[], mergeKey: string | undefined): Json[] {
  const id = (v: Json) => (mergeKey && isObject(v) ? v[mergeKey] : v);
  const indexIn = (list: Json[], v: Json) => list.findIndex((x) => id(x) === id(v));
  const inPatch = merged.filter((v) => indexIn(order, v) >= 0).sort((a, b) => indexIn(order, a) - indexIn(order, b));
  const serverOnly = merged.filter((v) => indexIn(order, v) < 0).sort((a, b) => indexIn(server, a) - indexIn(server, b));
  const result: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inPatch.length) {
    if (j >= inPatch.length) result.push(serverOnly[i++]);
    else if (i >= serverOnly.length) result.push(inPatch[j++]);
    else {
      const left = indexIn(server, serverOnly[i]);
      const right = indexIn(server, inPatch[j]);
      if (left >= 0 && right >= 0 && left < right) result.push(serverOnly[i++]);
      else result.push(inPatch[j++]);
    }
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

function parentOf(doc: Json, parts: string[], path: string): { parent: JsonMap | Json[]; last: string } {
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (node === undefined) throw new KubeStatusError(422, 'Invalid', `JSON patch path ${JSON.stringify(path)} does not exist`);
  }
  if (!Array.isArray(node) && !isObject(node)) throw new KubeStatusError(422, 'Invalid', `JSON patch path ${JSON.stringify(path)} does not exist`);
  return { parent: node, last: parts[parts.length - 1]! };
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be a list of operations');
  let result = structuredClone(doc);
  const read = (path: string): Json => {
    const parts = pointer(path);
    if (parts.length === 0) return result;
    const { parent, last } = parentOf(result, parts, path);
    const value = Array.isArray(parent) ? parent[Number(last)] : parent[last];
    if (value === undefined) throw new KubeStatusError(422, 'Invalid', `JSON patch path ${JSON.stringify(path)} does not exist`);
    return value;
  };
  const write = (op: 'add' | 'replace' | 'remove', path: string, value?: Json) => {
    const parts = pointer(path);
    if (parts.length === 0) {
      if (op !== 'remove') result = structuredClone(value);
      return;
    }
    const { parent, last } = parentOf(result, parts, path);
    const index = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : -1;
    if (op === 'remove') {
      if (Array.isArray(parent)) parent.splice(index, 1);
      else delete parent[last];
    } else if (Array.isArray(parent)) parent.splice(index, op === 'add' ? 0 : 1, structuredClone(value));
    else parent[last] = structuredClone(value);
  };
  for (const op of ops as JsonPatchOp[]) {
    switch (op.op) {
      case 'add':
        write('add', op.path, op.value);
        break;
      case 'replace':
      case 'remove':
        read(op.path);
        write(op.op, op.path, op.value);
        break;
      case 'copy':
        write('add', op.path, read(op.from ?? ''));
        break;
      case 'move': {
        const value = read(op.from ?? '');
        write('remove', op.from ?? '');
        write('add', op.path, value);
        break;
      }
      case 'test':
        if (JSON.stringify(read(op.path)) !== JSON.stringify(op.value)) throw new KubeStatusError(422, 'Invalid', `JSON patch test failed at ${JSON.stringify(op.path)}`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return result;
}

/** `schema` names the definition of the patched object (strategic merge reads its merge keys). */
export function applyPatch(target: Json, patch: Json, type: PatchType, schema: Definition['name']): Json {
  if (type === 'application/json-patch+json') return jsonPatch(target, patch);
  if (!isObject(patch)) throw badRequest('the patch is not a JSON object');
  if (type === 'application/merge-patch+json') return mergePatch(target, patch);
  return strategicMap(target, patch, { ref: schema });
}

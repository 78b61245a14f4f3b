import { describe, expect, it } from 'vitest';
import { applyPatch, type PatchType } from '../../src/sandbox/kube/apply-patch.js';
import { KubeStatusError } from '../../src/sandbox/kube/kube-object.js';

const RS = 'io.k8s.api.apps.v1.ReplicaSet';
const SVC = 'io.k8s.api.core.v1.Service';
const SMP: PatchType = 'application/strategic-merge-patch+json';

const podSpec = (spec: Record<string, unknown>) => ({ spec: { template: { spec } } });
const web = { name: 'web', image: 'blog:1', ports: [{ containerPort: 80 }, { containerPort: 9090, name: 'metrics' }], env: [{ name: 'A', value: '1' }] };
const side = { name: 'side', image: 'side:1' };

/** Strategic merge as apimachinery's strategicpatch applies it, given the schema's merge keys and strategies. */
describe('strategic merge patch follows the schema of the kind', () => {
  it.each<[string, string, unknown, unknown, unknown]>([
    ['merges containers by name and keeps the others', RS, podSpec({ containers: [web, side] }), podSpec({ containers: [{ name: 'web', image: 'blog:2' }] }), podSpec({ containers: [{ ...web, image: 'blog:2' }, side] })],
    ['merges container ports by containerPort', RS, podSpec({ containers: [web] }), podSpec({ containers: [{ name: 'web', ports: [{ containerPort: 9090, name: 'prom' }] }] }),
      podSpec({ containers: [{ ...web, ports: [{ containerPort: 80 }, { containerPort: 9090, name: 'prom' }] }] })],
    ['merges service ports by port, not containerPort', SVC, { spec: { ports: [{ port: 80, nodePort: 30000 }, { port: 443 }] } }, { spec: { ports: [{ port: 80, targetPort: 8080 }] } },
      { spec: { ports: [{ port: 80, nodePort: 30000, targetPort: 8080 }, { port: 443 }] } }],
    ['deletes a list item with $patch: delete', RS, podSpec({ containers: [web, side] }), podSpec({ containers: [{ name: 'side', $patch: 'delete' }] }), podSpec({ containers: [web] })],
    ['replaces a whole list with $patch: replace', RS, podSpec({ containers: [web, side] }), podSpec({ containers: [{ $patch: 'replace' }, side] }), podSpec({ containers: [side] })],
    ['deletes a field set to null (what kubectl apply sends for a removed env)', RS, podSpec({ containers: [web] }), podSpec({ containers: [{ name: 'web', env: null }] }),
      podSpec({ containers: [{ name: 'web', image: 'blog:1', ports: web.ports }] })],
    ['orders a list by $setElementOrder, server-only items keeping their place', RS, podSpec({ containers: [web, side, { name: 'c', image: 'c' }] }),
      podSpec({ '$setElementOrder/containers': [{ name: 'c' }, { name: 'web' }], containers: [{ name: 'c', image: 'c:2' }] }),
      podSpec({ containers: [side, { name: 'c', image: 'c:2' }, web] })],
    ['keeps only $retainKeys in a volume (merge,retainKeys)', RS, podSpec({ volumes: [{ name: 'v', emptyDir: {} }] }), podSpec({ volumes: [{ name: 'v', $retainKeys: ['name', 'configMap'], configMap: { name: 'cm' } }] }),
      podSpec({ volumes: [{ name: 'v', configMap: { name: 'cm' } }] })],
    ['unions finalizers and removes with $deleteFromPrimitiveList', RS, { metadata: { finalizers: ['a', 'b'] } }, { metadata: { finalizers: ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] } },
      { metadata: { finalizers: ['a', 'c'] } }],
    ['replaces a list without a merge strategy (args)', RS, podSpec({ containers: [{ name: 'web', args: ['a', 'b'] }] }), podSpec({ containers: [{ name: 'web', args: ['c'] }] }),
      podSpec({ containers: [{ name: 'web', args: ['c'] }] })],
    ['merges map values (labels) key by key', RS, { metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { b: null, c: '3' } } }, { metadata: { labels: { a: '1', c: '3' } } }],
    ['replaces a map with $patch: replace', RS, { spec: { selector: { matchLabels: { a: '1' } } } }, { spec: { selector: { $patch: 'replace', matchLabels: { b: '2' } } } },
      { spec: { selector: { matchLabels: { b: '2' } } } }],
  ])('%s', (_name, schema, target, patch, expected) => {
    expect(applyPatch(target, patch, SMP, schema)).toEqual(expected);
  });

  it('refuses a list item without its merge key, and an unknown $patch', () => {
    expect(() => applyPatch(podSpec({ containers: [web] }), podSpec({ containers: [{ image: 'x' }] }), SMP, RS)).toThrow(/does not contain declared merge key: name/);
    expect(() => applyPatch({}, { spec: { $patch: 'sideways' } }, SMP, RS)).toThrow(KubeStatusError);
  });
});

describe('JSON merge patch and JSON patch', () => {
  it('merge patch replaces lists whole and deletes nulls', () => {
    expect(applyPatch(podSpec({ containers: [web, side] }), podSpec({ containers: [side] }), 'application/merge-patch+json', RS)).toEqual(podSpec({ containers: [side] }));
    expect(applyPatch({ a: 1, b: 2 }, { a: null }, 'application/merge-patch+json', RS)).toEqual({ b: 2 });
  });

  it('JSON patch adds, replaces, removes, copies, moves and tests; a missing path is a 422', () => {
    const ops = [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/d' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'test', path: '/spec/replicas', value: 3 },
    ];
    expect(applyPatch({ metadata: { labels: { a: '1' } }, spec: { replicas: 1 } }, ops, 'application/json-patch+json', RS)).toEqual({ metadata: { labels: { c: '1', d: '2' } }, spec: { replicas: 3 } });
    for (const op of [{ op: 'replace', path: '/spec/nothing', value: 1 }, { op: 'remove', path: '/spec/nothing' }, { op: 'test', path: '/spec/replicas', value: 2 }]) {
      expect(() => applyPatch({ spec: { replicas: 1 } }, [op], 'application/json-patch+json', RS)).toThrow(expect.objectContaining({ code: 422 }));
    }
  });
});

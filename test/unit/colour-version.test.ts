import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { readColourVersion } from '../../src/cluster/colour-version.js';

const digest = `sha256:${'ab'.repeat(32)}`;

/** blog-blue as someone made it by hand: no switchyard labels, a sidecar first and the app second. */
const handMade = (web: string, extra: Partial<V1ReplicaSet['metadata']> = {}): V1ReplicaSet => ({
  metadata: { name: 'blog-blue', labels: { app: 'blog' }, ...extra },
  spec: {
    selector: { matchLabels: { name: 'blog-blue' } },
    template: { spec: { containers: [{ name: 'proxy', image: 'envoyproxy/envoy:v1.30.1' }, { name: 'web', image: web }] } },
  },
});

describe('readColourVersion', () => {
  it.each([
    ['a tag', 'registry.example/blog:0.9.0', '0.9.0'],
    ['a tag behind a registry port', 'registry.example:5000/team/blog:20151025.143403', '20151025.143403'],
    ['a tag and a digest', `registry.example/blog:0.9.0@${digest}`, '0.9.0'],
    ['latest', 'blog:latest', 'latest'],
  ])('takes the version of a colour made by hand from its container\'s image tag: %s', (_, image, version) => {
    const read = readColourVersion(handMade(image), 'web');
    expect(read.version).toBe(version);
    expect(read.note).toBe(`read from the image tag of container web (${image}): blog-blue has no switchyard/version label`);
  });

  it.each([
    ['pinned by digest alone', `registry.example/blog@${digest}`, /container web \(registry\.example\/blog@sha256:[0-9a-f]{64}\) is pinned by digest and has no tag$/],
    ['without a tag', 'registry.example:5000/blog', /container web \(registry\.example:5000\/blog\) has no tag$/],
    ['with a tag that is no version', 'registry.example/blog:0.9.0_', /image tag of container web \(registry\.example\/blog:0\.9\.0_\) is no valid version$/],
    ['with a tag too long for a label', `blog:${'1'.repeat(64)}`, /is no valid version$/],
  ])('makes no version up for an image %s, and says so', (_, image, note) => {
    const read = readColourVersion(handMade(image), 'web');
    expect(read.version).toBeNull();
    expect(read.note).toMatch(/^version unknown: blog-blue has no switchyard\/version label and the image/);
    expect(read.note).toMatch(note);
  });

  it('reads the first container when the app names none', () => {
    expect(readColourVersion(handMade('blog:1.0')).version).toBe('v1.30.1');
  });

  it('says so when the named container is not there', () => {
    expect(readColourVersion(handMade('blog:1.0'), 'api')).toEqual({
      version: null,
      note: 'blog-blue has no switchyard/version label and no container api with an image to read a version from',
    });
  });

  it('prefers what switchyard recorded: the label, then the annotation, with no note', () => {
    expect(readColourVersion(handMade('blog:0.9.0', { labels: { 'switchyard/version': '2.0.0' } }), 'web')).toEqual({ version: '2.0.0' });
    expect(readColourVersion(handMade('blog:0.9.0', { annotations: { 'switchyard/version': '2.0.1' } }), 'web')).toEqual({ version: '2.0.1' });
  });
});

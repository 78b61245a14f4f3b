import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the cluster-layer tests against the real cluster of
 * KUBECONFIG (each run in a namespace of its own, deleted afterwards). Tests
 * that need the stand-in's hooks skip. Not part of CI.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    env: { SWITCHYARD_CLUSTER_TESTS: 'real' },
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

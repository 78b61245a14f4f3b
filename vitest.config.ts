import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Most end-to-end files spend their time waiting (leases expiring, nodes
    // draining), not computing: three at a time keep CI well under its limit on
    // two cores. Each test fleet has its own namespaces, bridge and /24, and
    // every server listens on a port of its own (0), so files do not collide.
    fileParallelism: true,
    maxWorkers: 3,
    testTimeout: 60_000,
    // The AWS SDK is pinned on purpose; its Node 22 notice would repeat in every file's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    hookTimeout: 120_000,
  },
});

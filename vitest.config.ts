import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real nginx and sshd per node; they share the
    // machine's two cores, so files run one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    // The AWS SDK is pinned on purpose; its Node 22 notice would repeat in every file's output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    hookTimeout: 120_000,
  },
});

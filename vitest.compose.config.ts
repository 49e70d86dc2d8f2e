import { defineConfig } from 'vitest/config';

/**
 * `npm run test:compose`: the Docker Compose end-to-end test on a real Docker engine (DOCKER_HOST). Not part of
 * `npm test`, whose config includes only `*.test.ts`.
 */
export default defineConfig({
  test: {
    include: ['test/compose/**/*.e2e.ts'],
    globalSetup: ['test/compose/engine.ts'],
    // A build on a busy 2-core machine takes minutes; each step bounds its own waits.
    testTimeout: 20 * 60_000,
    hookTimeout: 10 * 60_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['verbose'],
  },
});

import { defineConfig } from 'vitest/config';

// `npm test`: unit and integration tests with real processes over loopback HTTP; needs only Node and
// promtool. The suites that need the built OpenTelemetry Collector and Prometheus run with
// `npm run test:e2e` (vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/collector/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: the real OpenTelemetry Collector (built by scripts/build-collector.sh) with the
// shipped otel-collector.yaml, Debian's Prometheus, the proxy with its workers and the fake LLM.
export default defineConfig({
  test: {
    include: ['test/collector/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

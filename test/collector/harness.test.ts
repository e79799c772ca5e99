// The native-collector harness (test/e2e/harness/collector.ts) on the real binary: it binds
// loopback only, stops what it starts, and fails loudly on a config the collector rejects.

import { describe, expect, test } from 'vitest';
import { startCollector } from '../e2e/harness/collector.js';
import { requireCollectorBinary } from '../e2e/harness/collector-binary.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('collector harness', () => {
  test('every endpoint is on 127.0.0.1, and stop() ends the process (idempotently)', async () => {
    const c = await startCollector({ binary: requireCollectorBinary() });
    try {
      for (const url of [c.otlpHttpUrl, c.metricsUrl, c.telemetryUrl, c.healthUrl]) {
        expect(new URL(url).hostname).toBe('127.0.0.1');
      }
      expect(c.otlpGrpcEndpoint).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(alive(c.pid)).toBe(true);
      expect((await fetch(c.telemetryUrl, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
    } finally {
      await c.stop();
    }
    expect(alive(c.pid)).toBe(false);
    await expect(c.stop()).resolves.toBeUndefined();
  });

  test('a config the collector rejects makes startCollector reject with the collector output', async () => {
    const bad = 'yaml:{"exporters":{"prometheus":{"no_such_key":1}}}';
    await expect(startCollector({ binary: requireCollectorBinary(), extraConfigs: [bad] })).rejects.toThrow(
      /exited .* before ready[\s\S]*no_such_key/,
    );
  });
});

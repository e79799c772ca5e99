/**
 * The aggregator's exposition equals the REAL collector's (otelcol-litellm 0.155.0 with the shipped
 * otel-collector.yaml), byte for byte, for the same OTLP bodies:
 * - test/fixtures/collector/: two probe workers' real exporter bodies and the collector's
 *   /metrics for three Accept headers (captured by the collector work);
 * - test/aggregate/fixtures/collector-0.155.0/: hostile names, labels, values and help texts
 *   (captured with its capture.sh).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/aggregate/index.js';
import { scrape } from './support/parse-prom.js';

const shared = fileURLToPath(new URL('../fixtures/collector/', import.meta.url));
const own = fileURLToPath(new URL('./fixtures/collector-0.155.0/', import.meta.url));

const opened: Aggregator[] = [];
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
});

async function fresh(): Promise<Aggregator> {
  // Defaults are the shipped yaml's settings; only the aggregator's own metrics are left out.
  const a = await startAggregator({ otlpPort: 0, metricsPort: 0, selfMetrics: false });
  opened.push(a);
  return a;
}

async function send(a: Aggregator, contentType: string, body: string): Promise<string> {
  const res = await fetch(a.otlpUrl, { method: 'POST', headers: { 'Content-Type': contentType }, body });
  expect(res.status).toBe(200);
  return res.text();
}

/**
 * The one intended difference: a CUMULATIVE up-down counter written by several workers. The
 * collector keeps the last writer's value (cumulativetodelta does not convert non-monotonic sums,
 * the exporter is last-write-wins); the aggregator sums the live writers' values, as the issue
 * asks for per-process up-down sums. (With the default DELTA temporality both add.)
 */
const CUMULATIVE_UPDOWN = 'probe_in_flight_requests_cumulative{';

describe('exposition equals the real collector capture', () => {
  const requests = JSON.parse(readFileSync(shared + 'otlp-requests.json', 'utf8')) as {
    requests: { contentType: string; body: string }[];
  };
  const responses = JSON.parse(readFileSync(shared + 'responses.json', 'utf8')) as {
    captures: { file: string; requestAccept: string | null; responseContentType: string }[];
  };

  it.each(responses.captures.map((c) => [c.file, c] as const))(
    '%s: same bytes and same Content-Type',
    async (_file, capture) => {
      const a = await fresh();
      // (The collector answers `{"partialSuccess":{}}` even for the points its exporter drops later,
      // e.g. colliding label names; the aggregator refuses those at once and says so.)
      for (const r of requests.requests)
        expect(JSON.parse(await send(a, r.contentType, r.body))).toHaveProperty('partialSuccess');
      const headers: Record<string, string> =
        capture.requestAccept === null ? {} : { Accept: capture.requestAccept };
      const got = await scrape(a.metricsUrl, headers);
      expect(got.contentType).toBe(capture.responseContentType);
      const want = readFileSync(shared + capture.file, 'utf8');
      const without = (t: string) => t.split('\n').filter((l) => !l.startsWith(CUMULATIVE_UPDOWN));
      expect(without(got.text)).toEqual(without(want));
      // The two workers' last cumulative values were 1 and 2: the collector shows the last writer's.
      const line = (t: string) => t.split('\n').find((l) => l.startsWith(CUMULATIVE_UPDOWN));
      expect(line(want)).toBe('probe_in_flight_requests_cumulative{job="litellm",kind="cumulative"} 2');
      expect(line(got.text)).toBe('probe_in_flight_requests_cumulative{job="litellm",kind="cumulative"} 3');
    },
  );

  const hostile = readdirSync(own).filter((f) => f.endsWith('.json'));
  it.each(hostile)(
    '%s: hostile names, labels, values and help match the collector byte for byte',
    async (file) => {
      const a = await fresh();
      await send(a, 'application/json', readFileSync(own + file, 'utf8'));
      const got = await scrape(a.metricsUrl);
      expect(got.text).toBe(readFileSync(own + file.replace(/\.json$/, '.prom'), 'utf8'));
    },
  );
});

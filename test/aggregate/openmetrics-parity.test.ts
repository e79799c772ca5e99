/**
 * With OpenMetrics enabled (the exporter's `enable_open_metrics: true`), the aggregator's page
 * equals the real collector's, captured in fixtures/collector-0.155.0-openmetrics/ (see README).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/aggregate/index.js';
import { scrape } from './support/parse-prom.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PROM3_ACCEPT =
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

/**
 * Lines that differ on purpose or by chance: the cumulative up-down counter (summed over live
 * writers here, last writer's value in the collector) and the HELP of a name sent with two
 * descriptions (the collector's pick depends on its map iteration order; here the first wins).
 */
const EXCEPTIONS = ['probe_in_flight_requests_cumulative{', '# HELP same_desc_conflict '];
const comparable = (t: string) => t.split('\n').filter((l) => !EXCEPTIONS.some((e) => l.startsWith(e)));

let a: Aggregator;
beforeAll(async () => {
  a = await startAggregator({ otlpPort: 0, metricsPort: 0, selfMetrics: false, enableOpenMetrics: true });
  const shared = JSON.parse(readFileSync(here('../fixtures/collector/otlp-requests.json'), 'utf8')) as {
    requests: { contentType: string; body: string }[];
  };
  const bodies = [
    ...shared.requests.map((r) => r.body),
    readFileSync(here('./fixtures/collector-0.155.0/hostile.json'), 'utf8'),
    readFileSync(here('./fixtures/collector-0.155.0/hostile2.json'), 'utf8'),
  ];
  for (const body of bodies) {
    const res = await fetch(a.otlpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await a?.close();
});

describe('OpenMetrics exposition equals the real collector capture', () => {
  it('for Prometheus 3 Accept: same Content-Type and the same lines', async () => {
    const got = await scrape(a.metricsUrl, { Accept: PROM3_ACCEPT });
    expect(got.contentType).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8',
    );
    const want = readFileSync(here('./fixtures/collector-0.155.0-openmetrics/openmetrics.prom'), 'utf8');
    expect(comparable(got.text)).toEqual(comparable(want));
    expect(got.text).toContain('# TYPE sort_test unknown\nsort_test{job="ns/svc"} 1.0\n');
  });

  it('without Accept: text 0.0.4, the same lines', async () => {
    const got = await scrape(a.metricsUrl);
    const want = readFileSync(here('./fixtures/collector-0.155.0-openmetrics/text.prom'), 'utf8');
    expect(comparable(got.text)).toEqual(comparable(want));
  });
});

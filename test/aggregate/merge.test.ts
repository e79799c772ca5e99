/**
 * Merge rules of pipeline.md §2, each driven by the REAL OTel SDK and OTLP exporters
 * (JSON and protobuf) exporting to a running aggregator over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator, type AggregatorOptions } from '../../src/aggregate/index.js';
import { createSdkPipeline, type SdkPipeline } from './support/sdk.js';
import { parseExposition, sampleKey, scrape } from './support/parse-prom.js';
import { freePort } from './support/free-port.js';

const opened: { close(): Promise<void> }[] = [];
const pipelines: SdkPipeline[] = [];

afterEach(async () => {
  for (const p of pipelines.splice(0)) await p.shutdown().catch(() => undefined);
  for (const o of opened.splice(0)) await o.close();
});

async function aggregatorWith(options: AggregatorOptions = {}): Promise<Aggregator> {
  const a = await startAggregator({ otlpPort: 0, metricsPort: 0, selfMetrics: false, ...options });
  opened.push(a);
  return a;
}

function pipeline(
  a: Aggregator | string,
  instanceId: string,
  extra: Partial<Parameters<typeof createSdkPipeline>[0]> = {},
): SdkPipeline {
  const p = createSdkPipeline({ url: typeof a === 'string' ? a : a.otlpUrl, instanceId, ...extra });
  pipelines.push(p);
  return p;
}

async function values(a: Aggregator): Promise<Map<string, number>> {
  const { text } = await scrape(a.metricsUrl);
  return new Map(parseExposition(text).samples.map((s) => [sampleKey(s), s.value]));
}

const k = (name: string, labels: Record<string, string> = {}) =>
  sampleKey({ name, labels: { job: 'litellm-proxy', ...labels }, value: 0 });

describe('delta writers', () => {
  it('adds delta counters of several writers with unaligned exports into one series (JSON and protobuf)', async () => {
    const a = await aggregatorWith();
    const w1 = pipeline(a, 'w1');
    const w2 = pipeline(a, 'w2', { protocol: 'protobuf', compression: 'gzip' });
    const c1 = w1.provider.getMeter('m').createCounter('litellm_spend_metric_total');
    const c2 = w2.provider.getMeter('m').createCounter('litellm_spend_metric_total');
    c1.add(1.5, { model: 'a' });
    await w1.flush();
    c2.add(2, { model: 'a' });
    c1.add(3, { model: 'a' });
    await w2.flush();
    expect((await values(a)).get(k('litellm_spend_metric_total', { model: 'a' }))).toBe(3.5);
    c2.add(10, { model: 'b' });
    await w1.flush();
    await w2.flush();
    const v = await values(a);
    expect(v.get(k('litellm_spend_metric_total', { model: 'a' }))).toBe(6.5);
    expect(v.get(k('litellm_spend_metric_total', { model: 'b' }))).toBe(10);
  });

  it('adds delta histograms bucket by bucket and sums delta up-down counters', async () => {
    const a = await aggregatorWith();
    const ws = [pipeline(a, 'w1'), pipeline(a, 'w2', { protocol: 'protobuf' })];
    for (const [i, w] of ws.entries()) {
      const m = w.provider.getMeter('m');
      const h = m.createHistogram('lat', { advice: { explicitBucketBoundaries: [0.5, 1, 5] } });
      h.record(0.25 + i, { model: 'x' });
      h.record(7, { model: 'x' });
      m.createUpDownCounter('in_flight').add(i === 0 ? 3 : 2);
      await w.flush();
    }
    const v = await values(a);
    expect(v.get(k('lat_bucket', { model: 'x', le: '0.5' }))).toBe(1);
    expect(v.get(k('lat_bucket', { model: 'x', le: '1' }))).toBe(1);
    expect(v.get(k('lat_bucket', { model: 'x', le: '5' }))).toBe(2);
    expect(v.get(k('lat_bucket', { model: 'x', le: '+Inf' }))).toBe(4);
    expect(v.get(k('lat_count', { model: 'x' }))).toBe(4);
    expect(v.get(k('lat_sum', { model: 'x' }))).toBe(0.25 + 7 + 1.25 + 7);
    expect(v.get(k('in_flight'))).toBe(5);
  });

  it('refuses and counts a histogram whose bounds differ, never lowering the series', async () => {
    const a = await aggregatorWith({ selfMetrics: true });
    const good = pipeline(a, 'w1');
    const bad = pipeline(a, 'w2');
    good.provider
      .getMeter('m')
      .createHistogram('lat', { advice: { explicitBucketBoundaries: [1, 2] } })
      .record(0.5);
    await good.flush();
    bad.provider
      .getMeter('m')
      .createHistogram('lat', { advice: { explicitBucketBoundaries: [1, 5] } })
      .record(0.5);
    await bad.flush();
    const v = await values(a);
    expect(v.get(k('lat_count'))).toBe(1);
    expect(v.get(k('lat_bucket', { le: '2' }))).toBe(1);
    expect(
      v.get(
        sampleKey({
          name: 'litellm_otel_aggregator_dropped_points_total',
          labels: { reason: 'bound_mismatch' },
          value: 0,
        }),
      ),
    ).toBe(1);
  });
});

describe('cumulative writers', () => {
  it('turns a cumulative writer that started after the aggregator into deltas, its first point in full', async () => {
    const a = await aggregatorWith();
    const w = pipeline(a, 'w1', { temporality: 'cumulative' });
    const other = pipeline(a, 'w2');
    const c = w.provider.getMeter('m').createCounter('req_total');
    const d = other.provider.getMeter('m').createCounter('req_total');
    c.add(5);
    // (A first point whose time equals its start would be a baseline, as in cumulativetodelta.)
    await new Promise((r) => setTimeout(r, 5));
    await w.flush();
    expect((await values(a)).get(k('req_total'))).toBe(5);
    d.add(1);
    await other.flush();
    await w.flush(); // re-sends 5: adds nothing
    expect((await values(a)).get(k('req_total'))).toBe(6);
    c.add(2);
    await w.flush();
    expect((await values(a)).get(k('req_total'))).toBe(8);
  });

  it('counts a first cumulative point stamped in the millisecond of its first record (time == start)', async () => {
    const a = await aggregatorWith();
    const w = pipeline(a, 'w1', { temporality: 'cumulative' });
    w.provider.getMeter('m').createCounter('req_total').add(5);
    await w.flush(); // collected at once: the JS SDK gives time == start (ms resolution)
    expect((await values(a)).get(k('req_total'))).toBe(5);
  });

  it('counts a restarted writer (same service.instance.id, new start time) from zero, without a decrease', async () => {
    const a = await aggregatorWith();
    const first = pipeline(a, 'w1', { temporality: 'cumulative' });
    first.provider.getMeter('m').createCounter('req_total').add(5);
    first.provider
      .getMeter('m')
      .createHistogram('lat', { advice: { explicitBucketBoundaries: [1] } })
      .record(0.5);
    await new Promise((r) => setTimeout(r, 5));
    await first.shutdown();
    await new Promise((r) => setTimeout(r, 5));
    const second = pipeline(a, 'w1', { temporality: 'cumulative' });
    second.provider.getMeter('m').createCounter('req_total').add(3);
    second.provider
      .getMeter('m')
      .createHistogram('lat', { advice: { explicitBucketBoundaries: [1] } })
      .record(2);
    await new Promise((r) => setTimeout(r, 5));
    await second.flush();
    const v = await values(a);
    expect(v.get(k('req_total'))).toBe(8);
    expect(v.get(k('lat_count'))).toBe(2);
    expect(v.get(k('lat_bucket', { le: '1' }))).toBe(1);
  });

  it("takes a pre-existing writer's first point as a baseline (no double counting after an aggregator restart)", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1/metrics`;
    const w = pipeline(url, 'w1', { temporality: 'cumulative' });
    const c = w.provider.getMeter('m').createCounter('req_total');
    c.add(100); // recorded before the aggregator (re)started
    await new Promise((r) => setTimeout(r, 5));
    const a = await aggregatorWith({ otlpPort: port });
    await w.flush();
    c.add(2);
    await w.flush();
    expect((await values(a)).get(k('req_total'))).toBe(2);
  });

  it('sums cumulative up-down counters over live writers and forgets a writer that went silent', async () => {
    const a = await aggregatorWith({ writerExpireAfterSeconds: 0.4 });
    const w1 = pipeline(a, 'w1', { temporality: 'cumulative' });
    const w2 = pipeline(a, 'w2', { temporality: 'cumulative', protocol: 'protobuf' });
    const u1 = w1.provider.getMeter('m').createUpDownCounter('in_flight');
    const u2 = w2.provider.getMeter('m').createUpDownCounter('in_flight');
    u1.add(3);
    u2.add(4);
    await w1.flush();
    await w2.flush();
    expect((await values(a)).get(k('in_flight'))).toBe(7);
    u1.add(-2);
    await w1.flush();
    expect((await values(a)).get(k('in_flight'))).toBe(5);
    // w2 stops reporting; w1 keeps going: after the writer window only w1 counts.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 150));
      await w1.flush();
    }
    expect((await values(a)).get(k('in_flight'))).toBe(1);
  });
});

describe('gauges, expiry, limits', () => {
  it('keeps the most recent gauge value by point time', async () => {
    const a = await aggregatorWith();
    const w1 = pipeline(a, 'w1');
    const w2 = pipeline(a, 'w2');
    w1.provider.getMeter('m').createGauge('budget').record(10);
    w2.provider.getMeter('m').createGauge('budget').record(20);
    await w2.flush(); // newer point time? No: w2 collects first, so its time is older
    await w1.flush();
    expect((await values(a)).get(k('budget'))).toBe(10);
  });

  it('removes a series idle longer than expireAfterSeconds', async () => {
    const a = await aggregatorWith({ expireAfterSeconds: 0.3 });
    const w = pipeline(a, 'w1');
    w.provider.getMeter('m').createCounter('req_total').add(1, { user: 'idle' });
    await w.flush();
    expect((await values(a)).has(k('req_total', { user: 'idle' }))).toBe(true);
    await new Promise((r) => setTimeout(r, 700));
    expect((await values(a)).has(k('req_total', { user: 'idle' }))).toBe(false);
  });

  it('holds at most maxSeries series and counts the points it refused', async () => {
    const a = await aggregatorWith({ maxSeries: 3, selfMetrics: true });
    const w = pipeline(a, 'w1');
    const c = w.provider.getMeter('m').createCounter('req_total');
    for (let i = 0; i < 5; i++) c.add(1, { user: `u${i}` });
    await w.flush();
    const { text } = await scrape(a.metricsUrl);
    const parsed = parseExposition(text);
    expect(parsed.samples.filter((s) => s.name === 'req_total')).toHaveLength(3);
    const dropped = parsed.samples.find(
      (s) => s.name === 'litellm_otel_aggregator_dropped_points_total' && s.labels.reason === 'series_limit',
    );
    expect(dropped?.value).toBe(2);
  });
});

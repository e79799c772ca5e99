/**
 * Real exporter bodies, captured and replayed in an order the live pipeline rarely produces:
 * gauges follow point time, not arrival; an older cumulative point arriving late changes nothing;
 * a delta body merges the same whether sent as JSON or protobuf.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/aggregate/index.js';
import { createSdkPipeline } from './support/sdk.js';
import { post, startCaptureSink, type CaptureSink } from './support/capture.js';
import { parseExposition, sampleKey, scrape } from './support/parse-prom.js';

const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c.close();
});

async function setup(): Promise<{ a: Aggregator; sink: CaptureSink }> {
  const a = await startAggregator({ otlpPort: 0, metricsPort: 0, selfMetrics: false });
  const sink = await startCaptureSink();
  closers.push(a, sink);
  return { a, sink };
}

async function value(
  a: Aggregator,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const { text } = await scrape(a.metricsUrl);
  const want = sampleKey({ name, labels: { job: 'litellm-proxy', ...labels }, value: 0 });
  return parseExposition(text).samples.find((s) => sampleKey(s) === want)?.value;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('replayed real exporter bodies', () => {
  it('keeps the gauge point with the latest time even when it arrives first', async () => {
    const { a, sink } = await setup();
    const w1 = createSdkPipeline({ url: sink.url, instanceId: 'w1' });
    const w2 = createSdkPipeline({ url: sink.url, instanceId: 'w2', protocol: 'protobuf' });
    w1.provider.getMeter('m').createGauge('litellm_remaining_budget_metric').record(10);
    await w1.flush();
    await pause(5);
    w2.provider.getMeter('m').createGauge('litellm_remaining_budget_metric').record(20);
    await w2.flush();
    await w1.shutdown();
    await w2.shutdown();
    const [older, newer] = sink.bodies as [never, never];
    expect((await post(a.otlpUrl, newer)).status).toBe(200);
    expect((await post(a.otlpUrl, older)).status).toBe(200);
    expect(await value(a, 'litellm_remaining_budget_metric')).toBe(20);
  });

  it('ignores an older cumulative point of a writer that arrives after a newer one', async () => {
    const { a, sink } = await setup();
    const w = createSdkPipeline({ url: sink.url, instanceId: 'w1', temporality: 'cumulative' });
    const c = w.provider.getMeter('m').createCounter('req_total');
    c.add(5);
    await pause(5);
    await w.flush();
    c.add(2);
    await pause(5);
    await w.flush();
    await w.shutdown();
    const [first, second] = sink.bodies as [never, never];
    await post(a.otlpUrl, second);
    await post(a.otlpUrl, first);
    expect(await value(a, 'req_total')).toBe(7);
    expect(a.store.stats.droppedPoints.get('out_of_order')).toBe(1);
  });

  it('merges the same delta content identically from JSON and protobuf bodies', async () => {
    const { a, sink } = await setup();
    for (const protocol of ['json', 'protobuf'] as const) {
      const w = createSdkPipeline({
        url: sink.url,
        instanceId: `w-${protocol}`,
        protocol,
        compression: 'gzip',
      });
      const m = w.provider.getMeter('litellm-otel', '0.1.0');
      m.createCounter('litellm_spend_metric_total').add(0.25, { model: 'x', 'gen_ai.system': 'openai' });
      m.createHistogram('lat', { advice: { explicitBucketBoundaries: [1, 2] } }).record(1.5, { model: 'x' });
      await w.flush();
      await w.shutdown();
    }
    expect(sink.bodies.map((b) => b.contentType)).toEqual(['application/json', 'application/x-protobuf']);
    await post(a.otlpUrl, sink.bodies[0] as never);
    const afterJson = (await scrape(a.metricsUrl)).text;
    await post(a.otlpUrl, sink.bodies[1] as never);
    const afterBoth = (await scrape(a.metricsUrl)).text;
    // Same series, every value doubled.
    const one = parseExposition(afterJson).samples;
    const two = new Map(parseExposition(afterBoth).samples.map((s) => [sampleKey(s), s.value]));
    expect(one.length).toBeGreaterThan(3);
    for (const s of one) expect(two.get(sampleKey(s))).toBe(s.value * 2);
  });
});

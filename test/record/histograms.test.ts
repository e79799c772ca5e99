// The recorder's own histogram aggregation (HistogramProducer) against the SDK's histogram instruments:
// the same events through both give the same points (buckets, sums, counts, attributes, start-time
// rules) in delta and cumulative, with labels dropped by settings, and over the cardinality limit.

import { afterEach, describe, expect, it } from 'vitest';
import { AggregationTemporality, DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { setupMetrics } from '../../src/record/setup.js';
import type { RequestEvent } from '../../src/record/event.js';
import { inProcess, type InProcess } from '../support/in-process.js';

const T0 = Date.UTC(2026, 0, 1);

/** Latencies that hit bucket boundaries exactly, fall between them, and overflow the last one. */
function event(i: number, user: string): RequestEvent {
  const latencyMs = [5, 10, 250, 1000, 1500, 7_000, 60_000, 300_000, 3, 0][i % 10]!;
  return {
    user,
    team: `team-${i % 2}`,
    requestedModel: 'gpt-4o',
    model: 'gpt-4o-2024-08-06',
    modelId: 'd1',
    apiBase: 'http://127.0.0.1:9/v1',
    apiProvider: 'openai',
    stream: i % 3 === 0,
    usage: { promptTokens: 10, completionTokens: 1 + (i % 5) },
    timings: {
      startTime: T0,
      apiCallStartTime: T0 + 1,
      completionStartTime: T0 + 1 + latencyMs / 4,
      endTime: T0 + latencyMs,
      queueTimeSeconds: latencyMs / 1e5,
      overheadMs: i % 4,
    },
  };
}

interface Point {
  name: string;
  attributes: Record<string, unknown>;
  counts: number[];
  sum: number;
  count: number;
  min: number | undefined;
  max: number | undefined;
  start: number;
  end: number;
}

async function histogramPoints(p: InProcess): Promise<Point[]> {
  const { resourceMetrics, errors } = await p.collect();
  expect(errors).toEqual([]);
  const out: Point[] = [];
  for (const sm of resourceMetrics.scopeMetrics)
    for (const m of sm.metrics) {
      if (m.dataPointType !== DataPointType.HISTOGRAM) continue;
      for (const dp of (m as HistogramMetricData).dataPoints)
        out.push({
          name: m.descriptor.name,
          attributes: { ...dp.attributes },
          counts: [...dp.value.buckets.counts],
          sum: dp.value.sum!,
          count: dp.value.count,
          min: dp.value.min,
          max: dp.value.max,
          start: hrTimeToMilliseconds(dp.startTime),
          end: hrTimeToMilliseconds(dp.endTime),
        });
    }
  return out.sort((a, b) =>
    `${a.name}${JSON.stringify(a.attributes)}`.localeCompare(`${b.name}${JSON.stringify(b.attributes)}`),
  );
}

const withoutTimes = (ps: Point[]) => ps.map(({ start: _s, end: _e, ...rest }) => rest);

async function bothWays(
  settings: Record<string, unknown>,
  temporality: AggregationTemporality,
  rounds: string[][],
) {
  const setupA = setupMetrics({ settings });
  const setupB = setupMetrics({ settings });
  const sdk = inProcess(setupA.views, { temporality });
  const histograms = setupB.createHistogramProducer();
  const ours = inProcess(setupB.views, { temporality, histograms });
  const ra = setupA.createRecorder(sdk.provider);
  const rb = setupB.createRecorder(ours.provider, { histograms });
  const collections: { sdk: Point[]; ours: Point[] }[] = [];
  let i = 0;
  for (const users of rounds) {
    for (const u of users) {
      const e = event(i++, u);
      ra.recordSuccess(e);
      rb.recordSuccess(structuredClone(e));
    }
    collections.push({ sdk: await histogramPoints(sdk), ours: await histogramPoints(ours) });
  }
  return { collections, stop: () => Promise.all([sdk.shutdown(), ours.shutdown()]) };
}

describe('HistogramProducer: the recorder aggregates histograms as the SDK would', () => {
  let stop: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  // users active per collection interval: some series are idle in some intervals
  const rounds = [['a', 'b', 'a', 'c', 'a', 'b'], ['b', 'b', 'd'], [], ['a', 'd', 'e', 'a'], ['a']];

  for (const [name, temporality] of [
    ['delta', AggregationTemporality.DELTA],
    ['cumulative', AggregationTemporality.CUMULATIVE],
  ] as const) {
    it(`${name}: the same points, and the SDK's start-time rules`, async () => {
      const r = await bothWays({}, temporality, rounds);
      stop = r.stop;
      let prevEnd: number | undefined;
      let prevKeys = new Set<string>();
      const firstStart = new Map<string, number>();
      for (const [ci, c] of r.collections.entries()) {
        expect(c.ours.length, `collection ${ci}`).toBe(c.sdk.length);
        expect(withoutTimes(c.ours), `collection ${ci}`).toEqual(withoutTimes(c.sdk));
        if (ci === 0) expect(c.ours.length).toBeGreaterThan(10);
        const keys = new Set<string>();
        for (const p of c.ours) {
          const k = p.name + JSON.stringify(p.attributes);
          keys.add(k);
          expect(p.start).toBeLessThanOrEqual(p.end);
          if (temporality === AggregationTemporality.DELTA) {
            // reported last time: starts at the previous collection; else at its first observation
            if (prevKeys.has(k)) expect(p.start).toBe(prevEnd);
            else if (prevEnd !== undefined) expect(p.start).toBeGreaterThanOrEqual(prevEnd);
          } else {
            if (!firstStart.has(k)) firstStart.set(k, p.start);
            expect(p.start).toBe(firstStart.get(k));
          }
        }
        prevKeys = keys;
        if (c.ours.length > 0) prevEnd = c.ours[0]!.end;
      }
      // the idle interval reports nothing in delta, everything so far in cumulative
      if (temporality === AggregationTemporality.DELTA) expect(r.collections[2]!.ours).toEqual([]);
      else expect(r.collections[2]!.ours.length).toBe(r.collections[1]!.ours.length);
    });
  }

  it('labels dropped by the settings are dropped from the histograms too', async () => {
    const r = await bothWays(
      { prometheus_exclude_labels: ['team', 'user'] },
      AggregationTemporality.DELTA,
      rounds,
    );
    stop = r.stop;
    for (const c of r.collections) expect(withoutTimes(c.ours)).toEqual(withoutTimes(c.sdk));
    const first = r.collections[0]!.ours;
    expect(first.some((p) => 'user' in p.attributes || 'team' in p.attributes)).toBe(false);
    expect(first.some((p) => 'hashed_api_key' in p.attributes)).toBe(true);
  });

  it('over the cardinality limit, the overflow series as the SDK makes it', async () => {
    const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
    for (const temporality of [AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE]) {
      const r = await bothWays({ aggregation_cardinality_limit: 5 }, temporality, [users, users.slice(6)]);
      for (const c of r.collections) expect(withoutTimes(c.ours)).toEqual(withoutTimes(c.sdk));
      const overflow = r.collections[0]!.ours.filter((p) => p.attributes['otel.metric.overflow'] === true);
      expect(overflow.length).toBeGreaterThan(0);
      await r.stop();
    }
  });

  it('a producer serves one reader, and a recorder refuses one that is not attached', () => {
    const setup = setupMetrics();
    const h = setup.createHistogramProducer();
    const p = inProcess(setup.views);
    expect(() => setup.createRecorder(p.provider, { histograms: h })).toThrow(/not attached to a reader/);
    h.attach(AggregationTemporality.DELTA);
    expect(() => h.attach(AggregationTemporality.DELTA)).toThrow(/already attached/);
    void p.shutdown();
  });

  it('through the whole pipeline: collections add up to every observation', async () => {
    const setup = setupMetrics();
    const histograms = setup.createHistogramProducer();
    const p = inProcess(setup.views, { temporality: AggregationTemporality.DELTA, histograms });
    stop = () => p.shutdown();
    const r = setup.createRecorder(p.provider, { histograms });
    let total = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 200; i++) r.recordSuccess(event(i, `u${i % 37}`));
      const pts = await histogramPoints(p);
      total += pts
        .filter((x) => x.name === 'litellm_request_total_latency_metric')
        .reduce((s, x) => s + x.count, 0);
    }
    expect(total).toBe(1000);
  });
});

// The retry queue around the real OTLP exporter, against the real test receiver: order, bound, drop
// counting, and what each kind of failure does to the data. Run with both inner exporters: the SDK's
// OTLPMetricExporter in this thread, and the pipeline's default, the SDK's transport in the export thread.

import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { RetryingMetricExporter, countPoints, dropOldestPoints } from '../../src/export/retrying-exporter.js';
import { createRequestTracker, trackingAgentFactory } from '../../src/export/request-tracker.js';
import { classifyExportFailure } from '../../src/export/classify.js';
import { ThreadedMetricExporter } from '../../src/export/threaded-exporter.js';
import type { ExportTemporality } from '../../src/export/options.js';
import { startReceiver, type ReceivedRequest, type TestReceiver } from './support/receiver.js';

class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Rig {
  exporter: RetryingMetricExporter;
  /** Records `values` (attribute k -> increment) and collects one batch. */
  batch(values: Record<string, number>): Promise<ResourceMetrics>;
  /** Hands a batch to the exporter like the periodic reader does, then waits for the queue to settle. */
  exportAndFlush(rm: ResourceMetrics): Promise<ExportResult>;
  close(): Promise<void>;
}

const rigs: Rig[] = [];
let receiver: TestReceiver | undefined;
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
  await receiver?.stop();
  receiver = undefined;
});

type Inner = 'sdk exporter' | 'export thread';

function rig(
  url: string,
  opts: { temporality?: ExportTemporality; max?: number; timeoutMillis?: number; inner?: Inner } = {},
): Rig {
  const tracker = createRequestTracker();
  // shorter than the exporter's first backoff: its own retry gives up at once
  const timeoutMillis = opts.timeoutMillis ?? 300;
  const inner =
    opts.inner === 'export thread'
      ? new ThreadedMetricExporter({
          url,
          headers: {},
          timeoutMillis,
          compression: 'none',
          protocol: 'http/json',
          tracker,
        })
      : new OTLPMetricExporter({ url, timeoutMillis, httpAgentOptions: trackingAgentFactory(tracker) });
  const exporter = new RetryingMetricExporter({
    inner,
    tracker,
    temporality: opts.temporality ?? 'delta',
    maxQueuedPoints: opts.max ?? 10_000,
    retryDelayMillis: 60_000,
  });
  const reader = new ManualReader({
    aggregationTemporalitySelector: (t) => exporter.selectAggregationTemporality(t),
    cardinalitySelector: () => 100_000,
  });
  const mp = new MeterProvider({ readers: [reader] });
  const counter = mp.getMeter('queue-test').createCounter('q_total');
  const r: Rig = {
    exporter,
    async batch(values) {
      for (const [k, v] of Object.entries(values)) counter.add(v, { k });
      const { resourceMetrics, errors } = await reader.collect();
      expect(errors).toEqual([]);
      return resourceMetrics;
    },
    async exportAndFlush(rm) {
      const result = await new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));
      await exporter.forceFlush();
      return result;
    },
    async close() {
      await exporter.shutdown();
      await mp.shutdown();
    },
  };
  rigs.push(r);
  return r;
}

/** q_total values in one received request, by attribute k. */
function qValues(req: ReceivedRequest): Record<string, number> {
  const out: Record<string, number> = {};
  const body = JSON.parse(req.body.toString('utf8')) as {
    resourceMetrics: {
      scopeMetrics: {
        metrics: {
          name: string;
          sum?: { dataPoints: { attributes: { value: { stringValue: string } }[]; asDouble: number }[] };
        }[];
      }[];
    }[];
  };
  for (const rm of body.resourceMetrics)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics)
        if (m.name === 'q_total')
          for (const dp of m.sum!.dataPoints) out[dp.attributes[0]!.value.stringValue] = dp.asDouble;
  return out;
}

describe.each(['sdk exporter', 'export thread'] as const)(
  'retry queue around the real OTLP exporter (%s)',
  (inner) => {
    it('keeps batches that failed with 503 and resends them oldest first, before the current batch', async () => {
      receiver = await startReceiver();
      const r = rig(receiver.url, { inner });
      receiver.behaviour = { kind: 'status', status: 503 };
      // The reader is told "done" at once: the batch is in the queue's custody.
      expect((await r.exportAndFlush(await r.batch({ a: 1 }))).code).toBe(ExportResultCode.SUCCESS);
      await r.exportAndFlush(await r.batch({ a: 10 }));
      expect(r.exporter.stats()).toMatchObject({ pointsQueued: 2, batchesQueued: 2 });
      expect(r.exporter.stats().requests.retryable).toBeGreaterThanOrEqual(2);

      receiver.behaviour = { kind: 'accept' };
      await r.exportAndFlush(await r.batch({ a: 100 }));
      const accepted = receiver.requests.filter((q) => q.status === 200).map(qValues);
      expect(accepted).toEqual([{ a: 1 }, { a: 10 }, { a: 100 }]);
      expect(r.exporter.stats()).toMatchObject({ pointsQueued: 0, batchesQueued: 0, pointsExported: 3 });
    });

    it('bounds the queue in data points: overflow drops the oldest points and counts them as queue_full', async () => {
      receiver = await startReceiver();
      const url = receiver.url;
      await receiver.stop(); // connection refused
      const r = rig(url, { max: 4, inner });
      for (const i of [1, 2, 3]) await r.exportAndFlush(await r.batch({ a: i, b: 10 * i, c: 100 * i }));
      // [b1(3)] -> [b1(3), b2(3)]: 2 oldest dropped -> [b1(c), b2(3), b3(3)]: b1 and b2's a, b dropped.
      const s = r.exporter.stats();
      expect(s.pointsDropped.queue_full).toBe(5);
      expect(s.pointsQueued).toBe(4);
      expect(s.requests.retryable).toBeGreaterThanOrEqual(3);

      await receiver.start(); // same port
      await r.exportAndFlush(await r.batch({}));
      expect(receiver.totals('q_total', '')).toEqual(
        new Map([
          ['{"k":"c"}', 200 + 300],
          ['{"k":"a"}', 3],
          ['{"k":"b"}', 30],
        ]),
      );
      expect(receiver.requests.filter((q) => q.status === 200).map(qValues)).toEqual([
        { c: 200 },
        { a: 3, b: 30, c: 300 },
      ]);
    });

    it('drops a batch the endpoint rejects for good (400), counts it as rejected, and moves on', async () => {
      receiver = await startReceiver();
      const r = rig(receiver.url, { inner });
      receiver.behaviour = { kind: 'status', status: 400 };
      await r.exportAndFlush(await r.batch({ a: 1, b: 2 }));
      expect(r.exporter.stats()).toMatchObject({ pointsQueued: 0, requests: { rejected: 1 } });
      expect(r.exporter.stats().pointsDropped.rejected).toBe(2);

      receiver.behaviour = { kind: 'accept' };
      await r.exportAndFlush(await r.batch({ a: 10 }));
      expect(receiver.requests.map((q) => q.status)).toEqual([400, 200]); // never resent
      expect(receiver.totals('q_total', '')).toEqual(new Map([['{"k":"a"}', 10]]));
    });

    it('does not resend after a timeout once the body was sent (ambiguous), and counts it', async () => {
      receiver = await startReceiver();
      const r = rig(receiver.url, { timeoutMillis: 300, inner });
      receiver.behaviour = { kind: 'hang' };
      await r.exportAndFlush(await r.batch({ a: 1 }));
      expect(r.exporter.stats()).toMatchObject({ pointsQueued: 0, requests: { ambiguous: 1 } });
      expect(r.exporter.stats().pointsDropped.ambiguous).toBe(1);

      receiver.behaviour = { kind: 'accept' };
      await r.exportAndFlush(await r.batch({ a: 10 }));
      expect(receiver.requests.length).toBe(2); // the hung request reached the receiver once, and only once
      expect(qValues(receiver.requests[0]!)).toEqual({ a: 1 });
      expect(receiver.totals('q_total', '')).toEqual(new Map([['{"k":"a"}', 10]]));
    });

    it('keeps a batch whose body could not be fully sent before the timeout (retryable, not ambiguous)', async () => {
      // A TCP server that accepts and never reads: a body larger than the socket buffers never finishes.
      const sink = net.createServer({ pauseOnConnect: true }, () => {});
      await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
      try {
        const port = (sink.address() as AddressInfo).port;
        const r = rig(`http://127.0.0.1:${port}/v1/metrics`, { timeoutMillis: 400, inner });
        const values: Record<string, number> = {};
        for (let i = 0; i < 40_000; i++) values[`user-${i}-${'x'.repeat(40)}`] = 1; // ~8 MB of JSON
        const big = await r.batch(values);
        await r.exportAndFlush(big);
        expect(r.exporter.stats()).toMatchObject({
          pointsQueued: 40_000,
          requests: { retryable: 1, ambiguous: 0 },
          pointsDropped: { ambiguous: 0 },
        });
      } finally {
        sink.close();
      }
    });

    it('with cumulative temporality queues nothing (the next export carries the totals) and reports the failure', async () => {
      receiver = await startReceiver();
      const r = rig(receiver.url, { temporality: 'cumulative', inner });
      receiver.behaviour = { kind: 'status', status: 503 };
      expect((await r.exportAndFlush(await r.batch({ a: 1 }))).code).toBe(ExportResultCode.FAILED);
      expect(r.exporter.stats()).toMatchObject({ pointsQueued: 0, requests: { retryable: 1 } });
      receiver.behaviour = { kind: 'accept' };
      expect((await r.exportAndFlush(await r.batch({ a: 10 }))).code).toBe(ExportResultCode.SUCCESS);
      expect(receiver.requests.filter((q) => q.status === 200).map(qValues)).toEqual([{ a: 11 }]);
    });
  },
);

describe('failure classification', () => {
  const sent = { bodySent: true, status: undefined };
  const notSent = { bodySent: false, status: undefined };
  it.each([
    [
      'HTTP 429/502/503/504 after the exporter gave up',
      new OTLPExporterError('Export failed with retryable status'),
      { bodySent: true, status: 503 },
      'retryable',
    ],
    ['HTTP 400', new OTLPExporterError('Bad Request', 400, ''), { bodySent: true, status: 400 }, 'rejected'],
    [
      'HTTP 413',
      new OTLPExporterError('Payload Too Large', 413, ''),
      { bodySent: true, status: 413 },
      'rejected',
    ],
    [
      'HTTP 500 (the OTLP spec: not retryable)',
      new OTLPExporterError('Internal', 500, ''),
      { bodySent: true, status: 500 },
      'rejected',
    ],
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      notSent,
      'retryable',
    ],
    [
      'reset after sending (idle keep-alive close, or the endpoint died)',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      sent,
      'retryable',
    ],
    ['timeout before the body was sent', new Error('Request timed out'), notSent, 'retryable'],
    ['timeout after the body was sent', new Error('Request timed out'), sent, 'ambiguous'],
    [
      '2xx with an oversized response body',
      new Error('OTLP export response body exceeded size limit'),
      { bodySent: true, status: 200 },
      'success',
    ],
    [
      'concurrency limit (nothing sent)',
      new Error('Concurrent export limit reached'),
      undefined,
      'retryable',
    ],
  ] as const)('%s -> %s', (_name, error, obs, want) => {
    expect(classifyExportFailure(error, obs)).toBe(want);
  });
});

describe('queue helpers', () => {
  it('countPoints and dropOldestPoints work on data points across metrics', async () => {
    const reader = new ManualReader();
    const mp = new MeterProvider({ readers: [reader] });
    const m = mp.getMeter('h');
    m.createCounter('x').add(1, { k: 'a' });
    m.createCounter('x').add(1, { k: 'b' });
    m.createHistogram('y').record(1, { k: 'c' });
    const { resourceMetrics } = await reader.collect();
    expect(countPoints(resourceMetrics)).toBe(3);
    const trimmed = dropOldestPoints(resourceMetrics, 2);
    expect(countPoints(trimmed)).toBe(1);
    expect(trimmed.scopeMetrics[0]!.metrics.map((x) => x.descriptor.name)).toEqual(['y']);
    expect(countPoints(dropOldestPoints(resourceMetrics, 1))).toBe(2);
    expect(countPoints(resourceMetrics)).toBe(3); // the original is untouched
    await mp.shutdown();
  });
});

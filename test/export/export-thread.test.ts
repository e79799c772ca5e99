// The export thread (threaded-exporter.ts): what happens to a batch when the thread dies, that it is
// started again, and that the pipeline sends the same data with the thread on or off. Real thread, real
// SDK, real receiver over HTTP.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { RetryingMetricExporter } from '../../src/export/retrying-exporter.js';
import { createRequestTracker } from '../../src/export/request-tracker.js';
import { ThreadedMetricExporter } from '../../src/export/threaded-exporter.js';
import { startWorkerMetrics } from '../../src/export/pipeline.js';
import { ExportConfigError } from '../../src/export/options.js';
import { startReceiver, type TestReceiver } from './support/receiver.js';

class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiverUp(): Promise<TestReceiver> {
  const r = await startReceiver();
  cleanups.push(() => r.stop());
  return r;
}

function rig(url: string) {
  const tracker = createRequestTracker();
  const threaded = new ThreadedMetricExporter({
    url,
    headers: {},
    timeoutMillis: 2_000,
    compression: 'none',
    protocol: 'http/json',
    tracker,
  });
  const exporter = new RetryingMetricExporter({
    inner: threaded,
    tracker,
    temporality: 'delta',
    maxQueuedPoints: 10_000,
    retryDelayMillis: 60_000,
  });
  const reader = new ManualReader({
    aggregationTemporalitySelector: (t) => exporter.selectAggregationTemporality(t),
  });
  const mp = new MeterProvider({ readers: [reader] });
  const counter = mp.getMeter('thread-test').createCounter('t_total');
  cleanups.push(async () => {
    await exporter.shutdown();
    await mp.shutdown();
  });
  return {
    exporter,
    /** The running thread, if any (private: the test kills it). */
    thread: () => (threaded as unknown as { worker: Worker | undefined }).worker,
    async send(v: number): Promise<ExportResult> {
      counter.add(v);
      const { resourceMetrics } = await reader.collect();
      return new Promise<ExportResult>((resolve) => exporter.export(resourceMetrics, resolve));
    },
  };
}

/** t_total as the receiver counted it. */
const delivered = (receiver: TestReceiver): number => receiver.metricTotal('t_total');

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

describe('export thread', () => {
  it('a thread that dies before sending loses nothing: the batch is queued and the next thread delivers it', async () => {
    const receiver = await receiverUp();
    const r = rig(receiver.url);
    expect((await r.send(1)).code).toBe(ExportResultCode.SUCCESS);
    await r.exporter.forceFlush();
    const first = r.thread();
    expect(first).toBeDefined();
    // killed, and the next export posted before it is gone: that export never reaches the thread
    void first!.terminate();
    await r.send(10);
    await r.exporter.forceFlush();
    expect(r.exporter.stats().requests.retryable).toBe(1);
    expect(r.exporter.stats().pointsQueued).toBe(1);
    // a new thread is started for the next export, which sends the queued batch first
    await r.send(100);
    await r.exporter.forceFlush();
    expect(r.thread()).toBeDefined();
    expect(r.thread()).not.toBe(first);
    expect(delivered(receiver)).toBe(111);
    expect(r.exporter.stats()).toMatchObject({ pointsQueued: 0, pointsExported: 3 });
  });

  it('a thread that dies with a request on the wire: the batch may have been counted, so it is not resent (ambiguous)', async () => {
    const receiver = await receiverUp();
    const r = rig(receiver.url);
    receiver.behaviour = { kind: 'hang' };
    const result = r.send(5);
    await until(() => receiver.requests.length === 1, 'the request to arrive');
    await r.thread()!.terminate();
    expect((await result).code).toBe(ExportResultCode.SUCCESS); // in the queue's custody
    await r.exporter.forceFlush();
    expect(r.exporter.stats().requests.ambiguous).toBe(1);
    expect(r.exporter.stats().pointsDropped.ambiguous).toBe(1);
    expect(r.exporter.stats().pointsQueued).toBe(0);
    receiver.behaviour = { kind: 'accept' };
    await r.send(7);
    await r.exporter.forceFlush();
    expect(delivered(receiver)).toBe(7);
  });

  it('the pipeline delivers the same totals with the export thread (default) and without it', async () => {
    for (const exportThread of [true, false]) {
      const receiver = await receiverUp();
      const m = startWorkerMetrics({
        endpoint: receiver.url,
        exportIntervalMillis: 60_000,
        handleSignals: false,
        exportThread,
      });
      const c = m.getMeter().createCounter('t_total');
      c.add(3, { k: 'a' });
      await m.forceFlush();
      c.add(4, { k: 'a' });
      await m.shutdown();
      expect(delivered(receiver), `exportThread ${exportThread}`).toBe(7);
      expect(m.exportStats().requests.success).toBe(2);
    }
  });

  it('TLS: the certificate from OTEL_EXPORTER_OTLP_CERTIFICATE is read at start (an unreadable one is an error naming the variable) and used by the thread', async () => {
    const saved = process.env.OTEL_EXPORTER_OTLP_CERTIFICATE;
    cleanups.push(async () => {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_CERTIFICATE;
      else process.env.OTEL_EXPORTER_OTLP_CERTIFICATE = saved;
    });
    for (const exportThread of [true, false]) {
      process.env.OTEL_EXPORTER_OTLP_CERTIFICATE = '/nonexistent/ca.pem';
      let error: unknown;
      try {
        startWorkerMetrics({
          endpoint: 'https://127.0.0.1:1/v1/metrics',
          handleSignals: false,
          exportThread,
        });
      } catch (e) {
        error = e;
      }
      expect(error, `exportThread ${exportThread}`).toBeInstanceOf(ExportConfigError);
      expect((error as ExportConfigError).key).toBe('OTEL_EXPORTER_OTLP_CERTIFICATE');
    }

    // a self-signed certificate for 127.0.0.1, trusted only through the variable
    const dir = mkdtempSync(join(tmpdir(), 'lom-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    let received = 0;
    const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    process.env.OTEL_EXPORTER_OTLP_CERTIFICATE = cert;
    const m = startWorkerMetrics({
      endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`,
      exportIntervalMillis: 60_000,
      handleSignals: false,
    });
    m.getMeter().createCounter('t_total').add(1);
    await m.forceFlush();
    await m.shutdown();
    expect(received).toBeGreaterThanOrEqual(1);
    expect(m.exportStats().requests.success).toBeGreaterThanOrEqual(1);
    expect(m.exportStats().requests.retryable).toBe(0);
  });
});

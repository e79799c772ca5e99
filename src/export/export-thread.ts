// The export thread: sends the OTLP requests the worker's main thread serialized, with the SDK's own
// node:http transport (otlp-exporter-base's delegate: its retries of 429/502/503/504, its timeout, its
// concurrency limit) and the request tracker, and answers each with the outcome.
//
// Why a thread: an HTTP client running in the process's main thread shares Node's stream and socket
// code with the server it serves from, and the proxy's request path measurably slowed down when the
// exports ran there (docs/export.md). Here the client runs in its own V8 isolate.
//
// Started by threaded-exporter.ts with `workerData: ExportThreadData`.

import { parentPort, workerData } from 'node:worker_threads';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonMetricsSerializer,
  MetricsExporterMetricsHelper,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import type { ExportResult } from '@opentelemetry/core';
import { createRequestTracker, otlpHttpExporterOptions, type RequestObservation } from './request-tracker.js';
import type { ExportThreadData, ExportThreadReply, ExportThreadRequest } from './threaded-exporter.js';

const data = workerData as ExportThreadData;
const port = parentPort;
if (!port) throw new Error('export-thread.ts runs only as a worker thread (threaded-exporter.ts starts it)');

// The tracker's `last` is set when a request starts: the main thread is told, so that if this thread
// dies with the export in flight, the export counts as possibly delivered (not resent) rather than lost.
const tracker = createRequestTracker();
let exporting: number | undefined;
let last: RequestObservation | undefined;
Object.defineProperty(tracker, 'last', {
  get: () => last,
  set: (obs: RequestObservation | undefined) => {
    last = obs;
    if (obs !== undefined && exporting !== undefined)
      port.postMessage({ type: 'sending', id: exporting } satisfies ExportThreadReply);
  },
});
const proto = data.protocol === 'http/protobuf';
const responses = proto ? ProtobufMetricsSerializer : JsonMetricsSerializer;
// the same conversion of options (and OTEL_EXPORTER_OTLP_* env) the SDK's OTLPMetricExporter makes
// (TLS buffers arrive as Uint8Array: Buffers again for the agent)
const asBuffer = (v: unknown) => (v instanceof Uint8Array ? Buffer.from(v) : v) as Buffer | undefined;
const tls = { ca: asBuffer(data.tls.ca), cert: asBuffer(data.tls.cert), key: asBuffer(data.tls.key) };
for (const k of ['ca', 'cert', 'key'] as const) if (tls[k] === undefined) delete tls[k];
const config = convertLegacyHttpOptions(
  otlpHttpExporterOptions(data, tracker, tls) as Parameters<typeof convertLegacyHttpOptions>[0],
  'METRICS',
  'v1/metrics',
  { 'Content-Type': proto ? 'application/x-protobuf' : 'application/json' },
);
// The body arrives serialized: the serializer passes it through. The exporter's self-metrics are not
// kept (no meter provider in this thread; the pipeline's own self-metrics count the exports).
const passThrough = {
  serializeRequest: (body: Uint8Array) => body,
  deserializeResponse: (body: Uint8Array) => responses.deserializeResponse(body),
};
const delegate = createOtlpHttpExportDelegate(
  config,
  passThrough as unknown as Parameters<typeof createOtlpHttpExportDelegate>[1],
  'otlp_http_metric_exporter',
  { name: MetricsExporterMetricsHelper.name, countItems: () => 0 } as unknown as Parameters<
    typeof createOtlpHttpExportDelegate
  >[3],
  undefined,
);

port.on('message', (m: ExportThreadRequest) => {
  if (m.type === 'shutdown') {
    void delegate.shutdown().finally(() => port.postMessage({ type: 'shut' } satisfies ExportThreadReply));
    return;
  }
  tracker.reset();
  const before = tracker.requests;
  exporting = m.id;
  delegate.export(m.body as never, (result: ExportResult) => {
    exporting = undefined;
    const e = result.error as (Error & { code?: unknown; data?: unknown }) | undefined;
    const reply: ExportThreadReply = {
      type: 'result',
      id: m.id,
      code: result.code,
      error: e && {
        name: e.name,
        message: e.message,
        code: typeof e.code === 'number' || typeof e.code === 'string' ? e.code : undefined,
        data: typeof e.data === 'string' ? e.data : undefined,
      },
      last: tracker.last,
      requests: tracker.requests - before,
    };
    port.postMessage(reply);
  });
});

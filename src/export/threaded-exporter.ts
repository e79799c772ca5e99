// The OTLP/HTTP metric exporter whose HTTP client runs in a worker thread.
//
// The main thread serializes each batch with the SDK's serializer (the same bytes the SDK's
// OTLPMetricExporter sends) and hands them to the export thread (export-thread.ts), which sends them
// with the SDK's node:http transport. The outcome comes back with what the request tracker saw, so
// the retry queue classifies failures as before. Why: docs/export.md ("The export thread").
//
// The thread starts at the first export and is started again after it died. An export the dead
// thread had not started sending fails as retryable; one whose request had started, as ambiguous.

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { AgentOptions } from 'node:https';
import { diag } from '@opentelemetry/api';
import type { OtlpHttpTarget, RequestObservation, RequestTracker } from './request-tracker.js';
import type { ExportProtocol } from './options.js';

const log = diag.createComponentLogger({ namespace: 'litellm-otel/export' });

/** What the export thread is started with. */
export interface ExportThreadData extends OtlpHttpTarget {
  protocol: ExportProtocol;
  /** TLS material (read by the caller at start; `tlsOptionsFromEnv`). */
  tls: Pick<AgentOptions, 'ca' | 'cert' | 'key'>;
}

export type ExportThreadRequest = { type: 'export'; id: number; body: Uint8Array } | { type: 'shutdown' };

export type ExportThreadReply =
  | {
      type: 'result';
      id: number;
      code: ExportResultCode;
      error?: { name: string; message: string; code?: number | string; data?: string };
      /** The tracker's observation of the export's last HTTP request (undefined: none started). */
      last: RequestObservation | undefined;
      /** HTTP requests the export started (retries included). */
      requests: number;
    }
  /** An HTTP request of export `id` started (its body may reach the endpoint from now on). */
  | { type: 'sending'; id: number }
  | { type: 'shut' };

export interface ThreadedExporterOptions extends Omit<ExportThreadData, 'tls'> {
  /** TLS material for https endpoints. Default none. */
  tls?: ExportThreadData['tls'];
  /** Updated with each export's requests, as if they had been made in this thread. */
  tracker?: RequestTracker;
}

/** The thread's entry: the compiled .js beside this module, or the .ts source under tsx (tests, dev). */
function startThread(data: ExportThreadData): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const entry = new URL('./export-thread.ts', self).href;
    const api = import.meta.resolve('tsx/esm/api');
    const bootstrap = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(self)}))`;
    return new Worker(bootstrap, { eval: true, workerData: data });
  }
  return new Worker(fileURLToPath(new URL('./export-thread.js', self)), { workerData: data });
}

const SHUTDOWN_WAIT_MILLIS = 2_000;

export class ThreadedMetricExporter implements PushMetricExporter {
  private readonly data: ExportThreadData;
  private readonly tracker: RequestTracker | undefined;
  private readonly serializer: typeof JsonMetricsSerializer;
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (r: ExportResult) => void>();
  /** Exports whose HTTP request started. */
  private readonly sending = new Set<number>();
  private idle: (() => void)[] = [];
  private stopped = false;

  constructor(options: ThreadedExporterOptions) {
    const { tracker, tls, ...data } = options;
    this.data = { ...data, headers: { ...data.headers }, tls: tls ?? {} };
    this.tracker = tracker;
    this.serializer = data.protocol === 'http/protobuf' ? ProtobufMetricsSerializer : JsonMetricsSerializer;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('Exporter has been shutdown') });
      return;
    }
    let body: Uint8Array | undefined;
    try {
      body = this.serializer.serializeRequest(metrics);
    } catch (e) {
      resultCallback({ code: ExportResultCode.FAILED, error: e as Error });
      return;
    }
    // the stock delegate's words, which classify.ts knows
    if (body === undefined) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('Nothing to send') });
      return;
    }
    let worker: Worker;
    try {
      worker = this.thread();
    } catch (e) {
      if (this.tracker) this.tracker.last = undefined;
      resultCallback({ code: ExportResultCode.FAILED, error: e as Error }); // retryable: nothing sent
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, resultCallback);
    worker.ref(); // an export in flight keeps the process alive, as the stock exporter's socket does
    const copy = new Uint8Array(body); // its own buffer, moved to the thread
    worker.postMessage({ type: 'export', id, body: copy } satisfies ExportThreadRequest, [copy.buffer]);
  }

  async forceFlush(): Promise<void> {
    if (this.pending.size === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, SHUTDOWN_WAIT_MILLIS);
      worker.on('message', (m: ExportThreadReply) => {
        if (m.type === 'shut') {
          clearTimeout(t);
          resolve();
        }
      });
      worker.postMessage({ type: 'shutdown' } satisfies ExportThreadRequest);
    });
    await worker.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread(this.data);
    worker.unref();
    worker.on('message', (m: ExportThreadReply) => {
      if (m.type === 'sending') this.sending.add(m.id);
      if (m.type !== 'result') return;
      if (this.tracker) {
        this.tracker.last = m.last;
        this.tracker.requests += m.requests;
      }
      const error = m.error && Object.assign(new Error(m.error.message), m.error);
      this.settle(m.id, { code: m.code, error });
    });
    // An export the thread had not started sending failed cleanly (retryable: nothing was sent); one
    // whose request had started may have been counted by the endpoint (the body counts as sent, no
    // answer: ambiguous, not resent, as after a timeout).
    const died = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.stopped) log.warn(`export thread ${why}; it is started again at the next export`);
      for (const id of [...this.pending.keys()]) {
        if (this.tracker) {
          this.tracker.last = this.sending.has(id) ? { bodySent: true, status: undefined } : undefined;
        }
        this.settle(id, { code: ExportResultCode.FAILED, error: new Error(`export thread ${why}`) });
      }
    };
    worker.on('error', (e) => died(`failed: ${e.message}`));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private settle(id: number, result: ExportResult): void {
    const cb = this.pending.get(id);
    if (!cb) return;
    this.pending.delete(id);
    this.sending.delete(id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      const waiting = this.idle;
      this.idle = [];
      for (const w of waiting) w();
    }
    cb(result);
  }
}

// The OTLP/HTTP exporter over Node's built-in `fetch` instead of `node:http`.
//
// Why: a process that serves HTTP with `node:http` and calls its upstreams with `fetch` (as the reference
// proxy does) runs measurably slower once it also makes `node:http` client requests: its server path
// gets slower (about 8 % fewer requests per second in bench/proxy, with one export every 10 s; see
// docs/export.md). Sending the exports with the client the process already uses avoids that.
//
// Only the transport differs: the exporter is the SDK's OTLPMetricExporterBase with the SDK's export
// delegate and serializers, so the payload, the concurrency limit and the error reporting are the stock
// ones. The retry of retryable answers is the stock RetryingTransport's (not exported by
// otlp-exporter-base, so its few lines are repeated here with its constants).

import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { diag } from '@opentelemetry/api';
import { OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import {
  createOtlpNetworkExportDelegate,
  getSharedConfigurationDefaults,
  OTLPExporterError,
  type ExportResponse,
  type IExporterTransport,
} from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  JsonMetricsSerializer,
  MetricsExporterMetricsHelper,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { RequestObservation, RequestTracker } from './request-tracker.js';

const gzipAsync = promisify(gzip);
const log = diag.createComponentLogger({ namespace: 'litellm-otel/export' });

/** The stock transport's limit: a longer answer is not read and the export counts as failed. */
export const MAX_RESPONSE_BODY_SIZE = 4 * 1024 * 1024;
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const BODY_SLICE = 64 * 1024;
const USER_AGENT = 'OTel-OTLP-Exporter-JavaScript litellm-otel-metrics (fetch)';

export interface FetchTransportOptions {
  url: string;
  /** Headers of every request (Content-Type included). */
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  /** Sees each request: whether its body was fully handed over, and its status. */
  tracker?: RequestTracker;
}

/** Retry-After in ms, as otlp-exporter-base parses it. */
function retryAfterMillis(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1;
  const delay = new Date(value).getTime() - Date.now();
  return delay >= 0 ? delay : 0;
}

async function readLimited(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BODY_SIZE) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** One POST per `send`, through the global `fetch`. Never rejects. */
export class FetchExporterTransport implements IExporterTransport {
  constructor(private readonly options: FetchTransportOptions) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const { url, compression, tracker } = this.options;
    const headers: Record<string, string> = { ...this.options.headers, 'User-Agent': USER_AGENT };
    let body = data;
    try {
      if (compression === 'gzip') {
        body = await gzipAsync(data);
        headers['Content-Encoding'] = 'gzip';
      }
    } catch (error) {
      return { status: 'failure', error: error as Error };
    }
    headers['Content-Length'] = String(body.byteLength);
    const obs: RequestObservation = { bodySent: false, status: undefined };
    if (tracker) {
      tracker.last = obs;
      tracker.requests += 1;
    }
    // The body as a stream that fetch pulls slice by slice: fetch reads the next slice once the previous
    // one was taken by the socket (it waits for 'drain' when the socket's buffer is full), so a pull
    // after the last slice means the body was handed over, as `node:http`'s 'finish' tells the stock
    // transport. A receiver that stops reading leaves it false.
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (offset >= body.byteLength) {
            obs.bodySent = true;
            c.close();
            return;
          }
          c.enqueue(body.subarray(offset, offset + BODY_SLICE));
          offset += BODY_SLICE;
        },
      },
      { highWaterMark: 0 },
    );
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMillis);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: stream,
        duplex: 'half',
        signal: abort.signal,
      } as RequestInit);
      obs.status = res.status;
      const answer = await readLimited(res.body);
      if (answer === undefined) {
        return {
          status: 'failure',
          error: new Error(
            `OTLP export response body exceeded size limit of ${MAX_RESPONSE_BODY_SIZE} bytes`,
          ),
        };
      }
      if (res.status >= 200 && res.status <= 299) return { status: 'success', data: answer };
      if (RETRYABLE_STATUSES.has(res.status)) {
        return { status: 'retryable', retryInMillis: retryAfterMillis(res.headers.get('retry-after')) };
      }
      return {
        status: 'failure',
        error: new OTLPExporterError(res.statusText, res.status, Buffer.from(answer).toString()),
      };
    } catch (e) {
      if (abort.signal.aborted) return { status: 'retryable', error: new Error('Request timed out') };
      // fetch's TypeError('fetch failed') carries the socket's error (ECONNREFUSED, UND_ERR_SOCKET, ...)
      const cause = (e as { cause?: unknown }).cause;
      const error = cause instanceof Error ? cause : (e as Error);
      return { status: 'retryable', error };
    } finally {
      clearTimeout(timer);
    }
  }

  shutdown(): void {}
}

const MAX_ATTEMPTS = 5;
const INITIAL_BACKOFF = 1000;
const MAX_BACKOFF = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

/** otlp-exporter-base's RetryingTransport: retryable answers again, with backoff, within the deadline. */
export class RetryingTransport implements IExporterTransport {
  constructor(private readonly inner: IExporterTransport) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Date.now() + timeoutMillis;
    let attempts = MAX_ATTEMPTS;
    let nextBackoff = INITIAL_BACKOFF;
    let result = await this.inner.send(data, timeoutMillis);
    while (result.status === 'retryable' && attempts > 0) {
      attempts--;
      const jitter = Math.random() * (2 * JITTER) - JITTER;
      const backoff = Math.max(Math.min(nextBackoff * (1 + jitter), MAX_BACKOFF), 0);
      nextBackoff *= BACKOFF_MULTIPLIER;
      const retryIn = result.retryInMillis ?? backoff;
      const remaining = deadline - Date.now();
      if (retryIn > remaining) return result;
      await new Promise((resolve) => setTimeout(resolve, retryIn));
      result = await this.inner.send(data, deadline - Date.now());
    }
    if (result.status === 'failure') log.debug(`export failed: ${String(result.error)}`);
    return result;
  }

  shutdown(): void {
    this.inner.shutdown();
  }
}

export interface FetchExporterOptions extends FetchTransportOptions {
  protocol: 'http/json' | 'http/protobuf';
  timeoutMillis: number;
}

/** The SDK's OTLP/HTTP metric exporter with the fetch transport. */
export function createFetchOtlpMetricExporter(o: FetchExporterOptions): PushMetricExporter {
  const proto = o.protocol === 'http/protobuf';
  const transport = new RetryingTransport(
    new FetchExporterTransport({
      url: o.url,
      headers: { ...o.headers, 'Content-Type': proto ? 'application/x-protobuf' : 'application/json' },
      compression: o.compression,
      tracker: o.tracker,
    }),
  );
  const delegate = createOtlpNetworkExportDelegate(
    { ...getSharedConfigurationDefaults(), timeoutMillis: o.timeoutMillis, compression: o.compression },
    proto ? ProtobufMetricsSerializer : JsonMetricsSerializer,
    createOtlpHttpExporterMetrics(
      'otlp_http_metric_exporter',
      MetricsExporterMetricsHelper,
      o.url,
      undefined,
    ),
    transport,
  );
  return new OTLPMetricExporterBase(delegate);
}

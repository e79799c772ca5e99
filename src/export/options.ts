// The worker pipeline's options, validated once at start. Explicit options win over the standard OTel
// environment variables, which win over the defaults. Every error names the key (or env var) and why.

import { z } from 'zod';
import { HistogramProducer } from '../record/histograms.js';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { envDetector } from '@opentelemetry/resources';
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';

export type ExportProtocol = 'http/json' | 'http/protobuf';
export type ExportTemporality = 'delta' | 'cumulative';
export type ExportCompression = 'gzip' | 'none';
export type DiagLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/** The default OTLP/HTTP metrics URL: IPv4 loopback, so it never depends on how `localhost` resolves. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318/v1/metrics';
export const DEFAULT_SERVICE_NAME = 'litellm-proxy';
export const DEFAULT_EXPORT_INTERVAL_MILLIS = 10_000;
export const DEFAULT_EXPORT_TIMEOUT_MILLIS = 30_000;
export const DEFAULT_EXPORTER_TIMEOUT_MILLIS = 10_000;
export const DEFAULT_MAX_QUEUED_POINTS = 100_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MILLIS = 5_000;

/** Options of {@link startWorkerMetrics}. Every field is optional; defaults are documented per field. */
export interface WorkerMetricsOptions {
  /** Views passed to the MeterProvider as-is (the metric-set code builds them). Default none. */
  views?: ViewOptions[];
  /**
   * The metric set's histograms aggregated by the recorder (`setupMetrics().createHistogramProducer()`):
   * attached to this pipeline's reader; give the same object to `createRecorder`. Default none (the
   * recorder writes histograms to the SDK's instruments).
   */
  histograms?: HistogramProducer;
  /** `service.name`. Env `OTEL_SERVICE_NAME`, then `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. Default `litellm-proxy`. */
  serviceName?: string;
  /** `service.namespace`. Env: `service.namespace` in `OTEL_RESOURCE_ATTRIBUTES`. Default unset. */
  serviceNamespace?: string;
  /** `service.instance.id`; must be unique per process. Default `<hostname>-<pid>-<8 random hex>`. */
  serviceInstanceId?: string;
  /** Extra resource attributes; they win over `OTEL_RESOURCE_ATTRIBUTES` and over the fields above. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Full metrics URL. Env `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (verbatim), then `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics`. Default `http://127.0.0.1:4318/v1/metrics`. */
  endpoint?: string;
  /** Wire format. Env `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`, then `OTEL_EXPORTER_OTLP_PROTOCOL`. Default `http/json`. */
  protocol?: ExportProtocol;
  /** Extra HTTP headers, merged over `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_METRICS_HEADERS`. */
  headers?: Record<string, string>;
  /** Deadline of one export including the exporter's own retries. Env `OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT`. Default 10000. */
  timeoutMillis?: number;
  /** Request body compression. Env `OTEL_EXPORTER_OTLP_[METRICS_]COMPRESSION`. Default `none`. */
  compression?: ExportCompression;
  /** Collection and export period. Env `OTEL_METRIC_EXPORT_INTERVAL`. Default 10000. */
  exportIntervalMillis?: number;
  /** The reader's wait for one export. Env `OTEL_METRIC_EXPORT_TIMEOUT`. Default min(30000, interval). */
  exportTimeoutMillis?: number;
  /** Temporality of every instrument kind. Env `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`. Default `delta`. */
  temporality?: ExportTemporality;
  /** Bound of the retry queue, in data points (delta only). Default 100000. */
  maxQueuedPoints?: number;
  /**
   * Send the OTLP requests from a worker thread (the batch is serialized here, sent there with the
   * SDK's node:http transport), so the HTTP client never runs in the thread that serves requests.
   * Default true; false: the SDK's OTLPMetricExporter in this thread.
   */
  exportThread?: boolean;
  /** Install SIGTERM/SIGINT handlers and a beforeExit hook that flush. Default true. */
  handleSignals?: boolean;
  /** Called first when SIGTERM/SIGINT triggers the shutdown (stop taking work); awaited within `shutdownTimeoutMillis`. */
  onSignal?: (signal: NodeJS.Signals) => void | Promise<void>;
  /** Upper bound of `shutdown()` (final collect, queue flush, exporter shutdown). Default 5000. */
  shutdownTimeoutMillis?: number;
  /** Installs a console diag logger at this level. Env `OTEL_LOG_LEVEL`. Default: the global diag logger is left alone. */
  diagLogLevel?: DiagLevelName;
}

/** Everything resolved: the values the pipeline runs with. */
export interface WorkerMetricsConfig {
  views: ViewOptions[];
  serviceName: string;
  serviceNamespace: string | undefined;
  serviceInstanceId: string | undefined;
  /** `OTEL_RESOURCE_ATTRIBUTES` first, then `resourceAttributes`. */
  envResourceAttributes: Record<string, string | number | boolean>;
  resourceAttributes: Record<string, string | number | boolean>;
  endpoint: string;
  protocol: ExportProtocol;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: ExportCompression;
  exportIntervalMillis: number;
  exportTimeoutMillis: number;
  temporality: ExportTemporality;
  maxQueuedPoints: number;
  exportThread: boolean;
  handleSignals: boolean;
  onSignal: ((signal: NodeJS.Signals) => void | Promise<void>) | undefined;
  shutdownTimeoutMillis: number;
  diagLogLevel: DiagLevelName | undefined;
}

/** A configuration error: the option or environment variable that is wrong, and why. */
export class ExportConfigError extends Error {
  readonly code = 'LOM_ERR_EXPORT_CONFIG';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid export option ${key}: ${reason}`);
    this.name = 'ExportConfigError';
  }
}

const positiveMillis = z.number().int('must be an integer').positive('must be > 0').max(2_147_483_647);
const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http:// or https:// URL');
const DIAG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;

const optionsSchema = z
  .object({
    views: z
      .array(z.custom<ViewOptions>((v) => typeof v === 'object' && v !== null, 'must be ViewOptions objects'))
      .optional(),
    histograms: z
      .custom<HistogramProducer>(
        (v) => v instanceof HistogramProducer,
        'must be a HistogramProducer (setupMetrics().createHistogramProducer())',
      )
      .optional(),
    serviceName: z.string().min(1, 'must not be empty').optional(),
    serviceNamespace: z.string().min(1, 'must not be empty').optional(),
    serviceInstanceId: z.string().min(1, 'must not be empty').optional(),
    resourceAttributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    endpoint: httpUrl.optional(),
    protocol: z.enum(['http/json', 'http/protobuf']).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    timeoutMillis: positiveMillis.optional(),
    compression: z.enum(['gzip', 'none']).optional(),
    exportIntervalMillis: positiveMillis.optional(),
    exportTimeoutMillis: positiveMillis.optional(),
    temporality: z.enum(['delta', 'cumulative']).optional(),
    maxQueuedPoints: z.number().int('must be an integer').nonnegative('must be >= 0').optional(),
    exportThread: z.boolean().optional(),
    handleSignals: z.boolean().optional(),
    onSignal: z
      .custom<(signal: NodeJS.Signals) => void | Promise<void>>(
        (v) => typeof v === 'function',
        'must be a function',
      )
      .optional(),
    shutdownTimeoutMillis: positiveMillis.optional(),
    diagLogLevel: z.enum(DIAG_LEVELS).optional(),
  })
  .strict();

function pathToKey(path: readonly PropertyKey[]): string {
  let key = '';
  for (const p of path) key += typeof p === 'number' ? `[${p}]` : key === '' ? String(p) : `.${String(p)}`;
  return key;
}

type Env = Readonly<Record<string, string | undefined>>;

function envString(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function envMillis(env: Env, name: string): number | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 2_147_483_647) {
    throw new ExportConfigError(name, `must be a positive integer of milliseconds (got "${raw}")`);
  }
  return n;
}

function envEnum<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase() as T;
  if (!allowed.includes(lower)) {
    throw new ExportConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return lower;
}

function endpointFromEnv(env: Env): string | undefined {
  const specific = envString(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  if (specific !== undefined) {
    if (!httpUrl.safeParse(specific).success) {
      throw new ExportConfigError(
        'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
        `must be an absolute http(s) URL (got "${specific}")`,
      );
    }
    return specific; // used verbatim, as the OTel spec and the SDK do
  }
  const base = envString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base !== undefined) {
    if (!httpUrl.safeParse(base).success) {
      throw new ExportConfigError(
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        `must be an absolute http(s) URL (got "${base}")`,
      );
    }
    return `${base.endsWith('/') ? base : `${base}/`}v1/metrics`;
  }
  return undefined;
}

function protocolFromEnv(env: Env): ExportProtocol | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const raw = envString(env, name);
    if (raw === undefined) continue;
    if (raw === 'http/json' || raw === 'http/protobuf') return raw;
    throw new ExportConfigError(
      name,
      `must be http/json or http/protobuf (got "${raw}"; grpc is not supported)`,
    );
  }
  return undefined;
}

function temporalityFromEnv(env: Env): ExportTemporality | undefined {
  const v = envEnum(env, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', [
    'delta',
    'cumulative',
    'lowmemory',
  ]);
  // lowmemory means "delta where it saves memory"; this pipeline's delta is delta everywhere, which saves more.
  return v === 'lowmemory' ? 'delta' : v;
}

function headersFromEnv(env: Env): Record<string, string> {
  return {
    ...parseKeyPairsIntoRecord(envString(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
    ...parseKeyPairsIntoRecord(envString(env, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS')),
  };
}

function resourceAttributesFromEnv(env: Env): Record<string, string | number | boolean> {
  const raw = envString(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (raw === undefined) return {};
  // The SDK's own parser (percent-decoding, spec error handling), fed only the variable we were given.
  const saved = process.env.OTEL_RESOURCE_ATTRIBUTES;
  const savedName = process.env.OTEL_SERVICE_NAME;
  try {
    process.env.OTEL_RESOURCE_ATTRIBUTES = raw;
    delete process.env.OTEL_SERVICE_NAME;
    const attrs = envDetector.detect().attributes ?? {};
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    }
    return out;
  } finally {
    if (saved === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    else process.env.OTEL_RESOURCE_ATTRIBUTES = saved;
    if (savedName !== undefined) process.env.OTEL_SERVICE_NAME = savedName;
  }
}

/**
 * Validates the options and merges them with the environment (explicit > env > default).
 * Throws {@link ExportConfigError} naming the option or environment variable.
 */
export function resolveWorkerMetricsConfig(
  options: unknown = {},
  env: Env = process.env,
): WorkerMetricsConfig {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ExportConfigError('(options)', 'must be an object');
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new ExportConfigError(issue.keys[0]!, 'is not a known option');
    }
    throw new ExportConfigError(pathToKey(issue.path) || '(options)', issue.message);
  }
  const o = parsed.data;

  const envAttrs = resourceAttributesFromEnv(env);
  const envServiceName = envString(env, 'OTEL_SERVICE_NAME');
  const envNamespace = envAttrs['service.namespace'];

  const exportIntervalMillis =
    o.exportIntervalMillis ?? envMillis(env, 'OTEL_METRIC_EXPORT_INTERVAL') ?? DEFAULT_EXPORT_INTERVAL_MILLIS;
  const explicitTimeout = o.exportTimeoutMillis ?? envMillis(env, 'OTEL_METRIC_EXPORT_TIMEOUT');
  if (explicitTimeout !== undefined && explicitTimeout > exportIntervalMillis) {
    throw new ExportConfigError(
      o.exportTimeoutMillis !== undefined ? 'exportTimeoutMillis' : 'OTEL_METRIC_EXPORT_TIMEOUT',
      `must not exceed the export interval (${exportIntervalMillis} ms)`,
    );
  }

  return {
    views: o.views ?? [],
    serviceName:
      o.serviceName ??
      envServiceName ??
      (typeof envAttrs['service.name'] === 'string' ? envAttrs['service.name'] : undefined) ??
      DEFAULT_SERVICE_NAME,
    serviceNamespace: o.serviceNamespace ?? (typeof envNamespace === 'string' ? envNamespace : undefined),
    serviceInstanceId: o.serviceInstanceId,
    envResourceAttributes: envAttrs,
    resourceAttributes: o.resourceAttributes ?? {},
    endpoint: o.endpoint ?? endpointFromEnv(env) ?? DEFAULT_ENDPOINT,
    protocol: o.protocol ?? protocolFromEnv(env) ?? 'http/json',
    headers: { ...headersFromEnv(env), ...o.headers },
    timeoutMillis:
      o.timeoutMillis ??
      envMillis(env, 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT') ??
      envMillis(env, 'OTEL_EXPORTER_OTLP_TIMEOUT') ??
      DEFAULT_EXPORTER_TIMEOUT_MILLIS,
    compression:
      o.compression ??
      envEnum(env, 'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', ['gzip', 'none']) ??
      envEnum(env, 'OTEL_EXPORTER_OTLP_COMPRESSION', ['gzip', 'none']) ??
      'none',
    exportIntervalMillis,
    exportTimeoutMillis: explicitTimeout ?? Math.min(DEFAULT_EXPORT_TIMEOUT_MILLIS, exportIntervalMillis),
    temporality: o.temporality ?? temporalityFromEnv(env) ?? 'delta',
    maxQueuedPoints: o.maxQueuedPoints ?? DEFAULT_MAX_QUEUED_POINTS,
    exportThread: o.exportThread ?? true,
    handleSignals: o.handleSignals ?? true,
    onSignal: o.onSignal,
    shutdownTimeoutMillis: o.shutdownTimeoutMillis ?? DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
    diagLogLevel: o.diagLogLevel ?? envEnum(env, 'OTEL_LOG_LEVEL', DIAG_LEVELS),
  };
}

// One call that starts a worker's metrics pipeline: identity (Resource), views, the real OTLP/HTTP
// exporter (its HTTP client in a worker thread) behind a retry queue, the real periodic reader,
// self-metrics, and flush on exit.

import { diag, DiagConsoleLogger, DiagLogLevel, type Meter } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { OTLPMetricExporter as OTLPJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  resolveWorkerMetricsConfig,
  type DiagLevelName,
  type WorkerMetricsConfig,
  type WorkerMetricsOptions,
} from './options.js';
import { buildWorkerResource } from './resource.js';
import {
  createRequestTracker,
  otlpHttpExporterOptions,
  tlsOptionsFromEnv,
  type RequestTracker,
} from './request-tracker.js';
import { RetryingMetricExporter, type ExportStats } from './retrying-exporter.js';
import { ThreadedMetricExporter } from './threaded-exporter.js';
import { registerSelfMetrics, SELF_METER_NAME } from './self-metrics.js';
import { installSignalHandlers } from './signals.js';

/** Name of the meter `getMeter()` returns when called without a name. */
export const DEFAULT_METER_NAME = 'litellm-otel';

const log = diag.createComponentLogger({ namespace: 'litellm-otel/export' });

export interface WorkerMetrics {
  /** The SDK MeterProvider (views, resource and reader installed). */
  readonly meterProvider: MeterProvider;
  /** This process's `service.instance.id`. */
  readonly serviceInstanceId: string;
  /** The resource every export carries. */
  readonly resource: Resource;
  /** The resolved configuration (options merged with the environment). */
  readonly config: Readonly<WorkerMetricsConfig>;
  /** A meter of the provider; default name `litellm-otel`. */
  getMeter(name?: string, version?: string): Meter;
  /** The exporter's counters and queue size (the same numbers the self-metrics report). */
  exportStats(): ExportStats;
  /** Collects now and sends everything queued; resolves when done or when the endpoint failed (never rejects). */
  forceFlush(): Promise<void>;
  /** Final collect, queue flush, exporter shutdown; bounded by `shutdownTimeoutMillis`; idempotent; never rejects. */
  shutdown(): Promise<void>;
}

const DIAG_LEVEL: Record<DiagLevelName, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

function createOtlpExporter(config: WorkerMetricsConfig, tracker: RequestTracker): PushMetricExporter {
  const target = {
    url: config.endpoint,
    headers: config.headers,
    timeoutMillis: config.timeoutMillis,
    compression: config.compression,
  };
  // read here, at start, so that an unreadable certificate file is an ExportConfigError now
  const tls = tlsOptionsFromEnv(process.env);
  if (config.exportThread) {
    return new ThreadedMetricExporter({ ...target, protocol: config.protocol, tls, tracker });
  }
  const options = otlpHttpExporterOptions(target, tracker, tls) as ConstructorParameters<
    typeof OTLPJsonMetricExporter
  >[0];
  return config.protocol === 'http/protobuf'
    ? new OTLPProtoMetricExporter(options)
    : new OTLPJsonMetricExporter(options);
}

function bounded(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  return Promise.race([p.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the worker's metrics pipeline (synchronously; exports begin after one interval).
 * Call once per process. Throws {@link ExportConfigError} on an invalid option or environment variable.
 */
export function startWorkerMetrics(options: WorkerMetricsOptions = {}): WorkerMetrics {
  const config = resolveWorkerMetricsConfig(options, process.env);
  if (config.diagLogLevel !== undefined) {
    diag.setLogger(new DiagConsoleLogger(), {
      logLevel: DIAG_LEVEL[config.diagLogLevel],
      suppressOverrideMessage: true,
    });
  }
  const { resource, serviceInstanceId } = buildWorkerResource(config);

  const tracker = createRequestTracker();
  const exporter = new RetryingMetricExporter({
    inner: createOtlpExporter(config, tracker),
    tracker,
    temporality: config.temporality,
    maxQueuedPoints: config.maxQueuedPoints,
    retryDelayMillis: config.exportIntervalMillis,
  });
  const histograms = options.histograms?.attach(
    config.temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  );
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.exportIntervalMillis,
    exportTimeoutMillis: config.exportTimeoutMillis,
    metricProducers: histograms ? [histograms] : undefined,
  });
  const meterProvider = new MeterProvider({ resource, views: config.views, readers: [reader] });
  registerSelfMetrics(meterProvider.getMeter(SELF_METER_NAME), () => exporter.stats());

  let uninstall: () => void = () => {};
  let shutdownPromise: Promise<void> | undefined;

  const shutdown = (): Promise<void> => {
    shutdownPromise ??= (async () => {
      uninstall();
      const done = await bounded(
        meterProvider.shutdown().catch((e: unknown) => log.warn('MeterProvider shutdown failed', e)),
        config.shutdownTimeoutMillis,
      );
      if (!done) {
        const s = exporter.stats();
        log.warn(
          `shutdown did not finish within ${config.shutdownTimeoutMillis} ms; ${s.pointsQueued} data points not delivered`,
        );
      }
    })();
    return shutdownPromise;
  };

  const forceFlush = async (): Promise<void> => {
    if (shutdownPromise) return;
    try {
      await meterProvider.forceFlush();
    } catch (e) {
      log.warn('forceFlush failed', e);
    }
  };

  if (config.handleSignals) {
    uninstall = installSignalHandlers({
      shutdown,
      forceFlush,
      onSignal: config.onSignal,
      boundMillis: config.shutdownTimeoutMillis,
    });
  }

  log.debug(
    `started: endpoint=${config.endpoint} protocol=${config.protocol} temporality=${config.temporality} ` +
      `interval=${config.exportIntervalMillis}ms service.instance.id=${serviceInstanceId}`,
  );

  return {
    meterProvider,
    serviceInstanceId,
    resource,
    config,
    getMeter: (name = DEFAULT_METER_NAME, version?: string) => meterProvider.getMeter(name, version),
    exportStats: () => exporter.stats(),
    forceFlush,
    shutdown,
  };
}

/**
 * A real OTel SDK pipeline for the aggregator's tests: MeterProvider + PeriodicExportingMetricReader
 * + the real OTLPMetricExporter (OTLP/HTTP JSON or protobuf), DELTA for every instrument kind by
 * default (up-down counters too), or CUMULATIVE.
 */
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';

export interface SdkPipelineOptions {
  url: string;
  instanceId: string;
  serviceName?: string;
  protocol?: 'json' | 'protobuf';
  temporality?: 'delta' | 'cumulative';
  /** Periodic export interval; a large one means "only when flushed". */
  intervalMs?: number;
  compression?: 'gzip' | 'none';
  /** Histogram bounds for every histogram (advice is set per instrument by the caller otherwise). */
  views?: ConstructorParameters<typeof MeterProvider>[0] extends infer O
    ? O extends { views?: infer V }
      ? V
      : never
    : never;
}

export interface SdkPipeline {
  provider: MeterProvider;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createSdkPipeline(o: SdkPipelineOptions): SdkPipeline {
  const exporterOptions = { url: o.url, compression: o.compression ?? 'none', timeoutMillis: 5000 } as const;
  const inner =
    o.protocol === 'protobuf'
      ? new ProtoExporter(exporterOptions as never)
      : new JsonExporter(exporterOptions as never);
  const temporality =
    o.temporality === 'cumulative' ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA;
  // Wrap the real exporter only to choose the temporality of every instrument kind.
  const exporter: PushMetricExporter = {
    export: (metrics, cb) => inner.export(metrics, cb),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: () => temporality,
  };
  const intervalMs = o.intervalMs ?? 3_600_000;
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: intervalMs,
    exportTimeoutMillis: Math.min(intervalMs, 10_000),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': o.serviceName ?? 'litellm-proxy',
      'service.instance.id': o.instanceId,
    }),
    readers: [reader],
    ...(o.views ? { views: o.views } : {}),
  });
  return {
    provider,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

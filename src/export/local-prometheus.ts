// A single process with no collector: it serves its own /metrics through the real
// @opentelemetry/exporter-prometheus, like LiteLLM with one worker. Cumulative by nature (the exporter
// is a pull reader), so only for one process: with several workers use the OTLP pipeline and the
// aggregator or the collector.

import { AggregationTemporality, MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import type { HistogramProducer } from '../record/histograms.js';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';

export interface LocalPrometheusOptions {
  /** Views of the metric set (`setupMetrics().views`). */
  views?: ViewOptions[];
  /** The recorder's histograms (`setupMetrics().createHistogramProducer()`), attached to this reader. */
  histograms?: HistogramProducer;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9464 (the exporter's default). */
  port?: number;
  /** Default `/metrics`. */
  endpoint?: string;
  serviceName?: string;
}

export interface LocalPrometheus {
  readonly meterProvider: MeterProvider;
  readonly metricsUrl: string;
  shutdown(): Promise<void>;
}

export async function startLocalPrometheus(options: LocalPrometheusOptions = {}): Promise<LocalPrometheus> {
  const host = options.host ?? '127.0.0.1';
  const endpoint = options.endpoint ?? '/metrics';
  const exporter = new PrometheusExporter({
    host,
    port: options.port ?? 9464,
    endpoint,
    preventServerStart: true,
    // LiteLLM's exposition has neither scope labels nor target_info
    withoutScopeInfo: true,
    withoutTargetInfo: true,
    metricProducers: options.histograms
      ? [options.histograms.attach(AggregationTemporality.CUMULATIVE)]
      : undefined,
  });
  await exporter.startServer();
  const port = options.port ?? 9464;
  const meterProvider = new MeterProvider({
    views: options.views ?? [],
    readers: [exporter],
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'litellm-proxy' }),
  });
  return {
    meterProvider,
    metricsUrl: `http://${host}:${port}${endpoint}`,
    shutdown: () => meterProvider.shutdown(),
  };
}

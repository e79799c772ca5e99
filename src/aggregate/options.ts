/**
 * Aggregator options, validated once at start (zod); errors name the key and the reason.
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const aggregatorOptionsSchema = z
  .object({
    /** OTLP/HTTP receiver address (the collector's `otlp` http endpoint). */
    otlpHost: z.string().min(1).default('127.0.0.1'),
    otlpPort: port.default(4318),
    /** Prometheus endpoint address (the collector's `prometheus` exporter endpoint). */
    metricsHost: z.string().min(1).default('127.0.0.1'),
    metricsPort: port.default(8889),
    /** Idle series are removed after this many seconds (the exporter's `metric_expiration`). */
    expireAfterSeconds: z.number().positive().default(3600),
    /** Per-writer state of cumulative streams is dropped after this many idle seconds (c2d `max_staleness`). */
    writerExpireAfterSeconds: z.number().positive().default(3600),
    /** Largest accepted OTLP body, compressed and after decompression (the collector's default is 20 MiB). */
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(20 * 1024 * 1024),
    /** When set, `GET /metrics` requires `Authorization: Bearer <token>`. */
    bearerToken: z.string().min(1).optional(),
    /** Most merged series held; points that would create more are dropped and counted. */
    maxSeries: z.number().int().positive().default(1_000_000),
    /**
     * Serve OpenMetrics when the scraper's Accept asks for it (the exporter's `enable_open_metrics`).
     * Off like the shipped otel-collector.yaml, so switching between the two changes nothing.
     */
    enableOpenMetrics: z.boolean().default(false),
    /** `otel_scope_*` labels on every series; off like the shipped yaml's `without_scope_info: true`. */
    scopeLabels: z.boolean().default(false),
    /** `job` label from service.namespace/service.name. */
    jobLabel: z.boolean().default(true),
    /** The aggregator's own `litellm_otel_aggregator_*` metrics on `/metrics`. */
    selfMetrics: z.boolean().default(true),
    /** gzip the `/metrics` answer when the scraper accepts it (promhttp does). */
    compressResponse: z.boolean().default(true),
  })
  .strict();

export type AggregatorOptions = z.input<typeof aggregatorOptionsSchema>;
export type ResolvedAggregatorOptions = z.output<typeof aggregatorOptionsSchema>;

export class AggregatorConfigError extends Error {
  override readonly name = 'AggregatorConfigError';
}

/** Applies defaults and validates; throws `AggregatorConfigError` naming each bad key. */
export function resolveAggregatorOptions(options: AggregatorOptions = {}): ResolvedAggregatorOptions {
  const parsed = aggregatorOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key =
        i.path.length > 0 ? i.path.join('.') : ((i as { keys?: string[] }).keys?.join(', ') ?? '(options)');
      return `aggregator option ${key}: ${i.message}`;
    });
    throw new AggregatorConfigError(lines.join('; '));
  }
  return parsed.data;
}

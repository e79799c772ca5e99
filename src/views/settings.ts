// The metrics settings, under LiteLLM's own names (litellm_settings in LiteLLM's config.yaml), validated
// once at start. Every error names the key and the reason.

import { z } from 'zod';

const metricGroupSchema = z
  .object({
    group: z.string().min(1),
    metrics: z.array(z.string().min(1)).min(1),
    include_labels: z.array(z.string().min(1)).optional(),
  })
  .strict();

const bucketsSchema = z
  .array(z.number().refine((n) => Number.isFinite(n), 'must be finite numbers (+Inf is implicit)'))
  .min(1, 'must not be empty')
  .refine(
    (b) => b.every((v, i) => i === 0 || v > (b[i - 1] as number)),
    'must be sorted in strictly increasing order',
  );

/** The metrics settings, with LiteLLM's names. Every field is optional. */
export const metricsSettingsSchema = z
  .object({
    /** Groups of metrics to emit, each with an optional label allow-list. When set, only listed metrics are emitted. */
    prometheus_metrics_config: z.array(metricGroupSchema).optional(),
    /** Metrics never emitted. */
    prometheus_exclude_metrics: z.array(z.string().min(1)).optional(),
    /** Labels removed from every metric that has them. */
    prometheus_exclude_labels: z.array(z.string().min(1)).optional(),
    /** Request-metadata paths (`metadata.foo`) exported as extra labels (`metadata_foo`). */
    custom_prometheus_metadata_labels: z.array(z.string().min(1)).optional(),
    /** Request tags exported as extra labels `tag_<tag>` with value "true"/"false". */
    custom_prometheus_tags: z.array(z.string().min(1)).optional(),
    /** Buckets (seconds) replacing LiteLLM's LATENCY_BUCKETS on the latency histograms. */
    prometheus_latency_buckets: bucketsSchema.optional(),
    /** LiteLLM's switch for a real `end_user` label value; otherwise it is "None". */
    enable_end_user_cost_tracking_prometheus_only: z.boolean().optional(),
    /** The project's name for the same switch; either one turns tracking on. */
    track_end_user: z.boolean().optional(),
    /** At most this many distinct end-user values per worker (LiteLLM's name and default: 10000). */
    prometheus_end_user_metrics_max_series_per_metric: z.number().int().positive().optional(),
    /** An end-user value idle this long frees its slot (LiteLLM's name and default: 3600). */
    prometheus_end_user_metrics_ttl_seconds: z.number().positive().optional(),
    /** The reserved end_user value for users that found no slot. Default `__overflow__`. */
    end_user_overflow_value: z.string().min(1).optional(),
    /** The SDK's safety net: series per family and export interval before its overflow series. */
    aggregation_cardinality_limit: z.number().int().positive().optional(),
    /** Also record the OpenTelemetry GenAI semantic-convention metrics. */
    enable_genai_metrics: z.boolean().optional(),
  })
  .strict();

export type MetricsSettings = z.input<typeof metricsSettingsSchema>;
export type ValidMetricsSettings = z.output<typeof metricsSettingsSchema>;

/** A configuration error: the key that is wrong and why. */
export class MetricsConfigError extends Error {
  readonly code = 'LOM_ERR_CONFIG';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid metrics setting ${key}: ${reason}`);
    this.name = 'MetricsConfigError';
  }
}

function pathToKey(path: readonly PropertyKey[]): string {
  let key = '';
  for (const p of path) key += typeof p === 'number' ? `[${p}]` : key === '' ? String(p) : `.${String(p)}`;
  return key;
}

/**
 * Validates settings. Keys that are not metrics settings are ignored when `lenient` is set (the proxy
 * passes its whole `litellm_settings`), except misspelt `prometheus_*` keys, which are always errors.
 */
export function parseMetricsSettings(input: unknown, opts: { lenient?: boolean } = {}): ValidMetricsSettings {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new MetricsConfigError('(settings)', 'must be a mapping');
  let candidate = input as Record<string, unknown>;
  if (opts.lenient) {
    const known = metricsSettingsSchema.keyof().options as readonly string[];
    candidate = {};
    for (const [k, v] of Object.entries(input)) {
      if (known.includes(k) || k.startsWith('prometheus_')) candidate[k] = v;
    }
  }
  const result = metricsSettingsSchema.safeParse(candidate);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const base = pathToKey(issue.path);
      const k = issue.keys[0]!;
      throw new MetricsConfigError(base ? `${base}.${k}` : k, 'is not a known setting');
    }
    throw new MetricsConfigError(pathToKey(issue.path) || '(settings)', issue.message);
  }
  return result.data;
}

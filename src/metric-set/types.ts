/** How the values of one series written by several worker processes combine on the endpoint. */
export type CrossWorker =
  /** counters and histograms: the sum over every worker that ever reported */
  | 'sum'
  /** shared state (budgets, deployment state, limits): the most recent value wins */
  | 'last'
  /** per-process gauges (in-flight requests): the sum over live workers */
  | 'livesum';

/** The Prometheus type LiteLLM exposes the family as. */
export type PrometheusType = 'counter' | 'histogram' | 'gauge';

/** The OTel instrument the family is recorded through. */
export type InstrumentKind = 'counter' | 'histogram' | 'gauge' | 'updowncounter';

/** One metric family, as data. */
export interface MetricFamily {
  /** LiteLLM's family name (the name given to prometheus_client), e.g. `litellm_spend_metric`. */
  readonly name: string;
  /**
   * The OTel instrument name. Chosen so that the name survives every renderer unchanged: counters carry
   * their final `_total` (`litellm_spend_metric_total`), histograms and gauges their base name.
   */
  readonly instrumentName: string;
  readonly type: PrometheusType;
  readonly instrument: InstrumentKind;
  /** HELP text, byte for byte LiteLLM's. */
  readonly help: string;
  /** Default label names in LiteLLM's order. */
  readonly labels: readonly string[];
  /** Histogram bucket upper bounds, ascending, without +Inf. */
  readonly buckets?: readonly number[];
  /** True when LiteLLM's `prometheus_latency_buckets` setting replaces this histogram's buckets. */
  readonly latencyBuckets?: boolean;
  /** OTel unit; empty for LiteLLM families (LiteLLM exposes no units). */
  readonly unit?: string;
  readonly crossWorker: CrossWorker;
  /** True when LiteLLM appends `custom_prometheus_metadata_labels` and `custom_prometheus_tags` labels. */
  readonly customLabels: boolean;
  /** Catalog group, for documentation and `prometheus_metrics_config`. */
  readonly group: string;
  /** Families that are recorded only when switched on (the GenAI semantic-convention set). */
  readonly optIn?: boolean;
}

// The public door of litellm-otel-metrics. Stages, in the order one request's numbers travel:
// metric set (data) -> record (the recorder) -> views (selection, end-user admission) -> export.

export type { CrossWorker, InstrumentKind, MetricFamily, PrometheusType } from './metric-set/index.js';
export {
  LITELLM_FAMILIES,
  GENAI_FAMILIES,
  LATENCY_BUCKETS,
  PROMETHEUS_DEFAULT_BUCKETS,
} from './metric-set/index.js';

export type {
  BudgetState,
  CooldownEvent,
  DeploymentInfo,
  DeploymentState,
  FallbackEvent,
  GuardrailEvent,
  RateLimitState,
  RequestBudgets,
  RequestError,
  RequestEvent,
  RequestIdentity,
  RequestOrigin,
  RequestTimings,
  TokenUsage,
} from './record/event.js';
export { Recorder } from './record/recorder.js';
export type { RecorderOptions, RecorderStats } from './record/recorder.js';
export { setupMetrics } from './record/setup.js';
export type { MetricsSetup, MetricsSetupOptions } from './record/setup.js';
export { hashApiKey } from './record/label-values.js';

export { MetricsConfigError, parseMetricsSettings } from './views/settings.js';
export type { MetricsSettings } from './views/settings.js';
export { METER_NAME, DEFAULT_CARDINALITY_LIMIT } from './views/views.js';
export {
  EndUserAdmission,
  DEFAULT_END_USER_MAX_SERIES,
  DEFAULT_END_USER_OVERFLOW_VALUE,
  DEFAULT_END_USER_TTL_SECONDS,
} from './views/end-user-admission.js';
export type { EndUserAdmissionOptions, EndUserAdmissionStats } from './views/end-user-admission.js';

export { getEndUserId, STANDARD_CUSTOMER_ID_HEADERS } from './integrations/end-user.js';
export type { EndUserSourceOptions, HeaderBag } from './integrations/end-user.js';

// export: the worker's MeterProvider, OTLP exporter and retry queue
export {
  startWorkerMetrics,
  ExportConfigError,
  resolveWorkerMetricsConfig,
  defaultServiceInstanceId,
  SELF_METRICS,
  DEFAULT_ENDPOINT,
  DEFAULT_EXPORT_INTERVAL_MILLIS,
  DEFAULT_MAX_QUEUED_POINTS,
  startLocalPrometheus,
} from './export/index.js';
export type {
  WorkerMetrics,
  WorkerMetricsOptions,
  WorkerMetricsConfig,
  ExportStats,
} from './export/index.js';

// aggregate: the embedded aggregator (OTLP/HTTP in, one merged Prometheus endpoint out)
export {
  startAggregator,
  createMergeStore,
  resolveAggregatorOptions,
  AggregatorConfigError,
} from './aggregate/index.js';
export type { Aggregator, AggregatorOptions, ResolvedAggregatorOptions } from './aggregate/index.js';

// integrations: the Fastify plugin and the framework-free request helper
export { litellmMetricsPlugin, DEFAULT_LLM_ROUTES } from './integrations/fastify-plugin.js';
export type { LitellmMetricsPluginOptions } from './integrations/fastify-plugin.js';
export {
  createRequestMetrics,
  createNoopRequestMetrics,
  usageFromOpenAi,
} from './integrations/request-metrics.js';
export type { RequestMetrics, RequestMetricsInit, SuccessDetails } from './integrations/request-metrics.js';

// proxy: the reference proxy
export { startProxy } from './proxy/cluster.js';
export { loadProxyConfig, ProxyConfigError } from './proxy/config.js';

// fake-llm: the fake OpenAI-compatible upstream
export { startFakeLlm } from './fake-llm/index.js';
export type { FakeLlm, FakeLlmOptions } from './fake-llm/index.js';

// The worker export pipeline's public surface.

export { startWorkerMetrics, DEFAULT_METER_NAME } from './pipeline.js';
export type { WorkerMetrics } from './pipeline.js';
export {
  ExportConfigError,
  resolveWorkerMetricsConfig,
  DEFAULT_ENDPOINT,
  DEFAULT_EXPORT_INTERVAL_MILLIS,
  DEFAULT_MAX_QUEUED_POINTS,
  DEFAULT_SERVICE_NAME,
  DEFAULT_SHUTDOWN_TIMEOUT_MILLIS,
} from './options.js';
export type {
  WorkerMetricsOptions,
  WorkerMetricsConfig,
  ExportProtocol,
  ExportTemporality,
  ExportCompression,
  DiagLevelName,
} from './options.js';
export { defaultServiceInstanceId } from './resource.js';
export { SELF_METRICS, SELF_METER_NAME } from './self-metrics.js';
export type { ExportStats, DropReason } from './retrying-exporter.js';
export type { ExportOutcome } from './classify.js';
export { startLocalPrometheus } from './local-prometheus.js';
export type { LocalPrometheus, LocalPrometheusOptions } from './local-prometheus.js';

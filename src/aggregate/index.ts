/** The embedded aggregator: OTLP/HTTP receiver, merge store, Prometheus exposition. */
export { startAggregator, createMergeStore } from './aggregator.js';
export type { Aggregator } from './aggregator.js';
export { resolveAggregatorOptions, AggregatorConfigError, aggregatorOptionsSchema } from './options.js';
export type { AggregatorOptions, ResolvedAggregatorOptions } from './options.js';
export { MergeStore } from './store.js';
export type { MergeStoreOptions, IngestResult } from './store.js';
export type { ExpositionFormat } from './exposition.js';
export { normalizeExportRequest, OtlpInvalidError } from './otlp-normalize.js';
export { decodeExportRequestProtobuf } from './otlp-proto.js';
export type { NormalizedRequest } from './otlp-model.js';
export { createOtlpHandler, OTLP_METRICS_PATH } from './otlp-receiver.js';
export { createMetricsHandler, METRICS_PATH } from './metrics-endpoint.js';
export type { MetricsEndpointOptions } from './metrics-endpoint.js';
export { negotiateFormat } from './negotiate.js';
export type { AggregatorStats, DropReason, RejectReason } from './stats.js';

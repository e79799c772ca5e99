export type { CrossWorker, InstrumentKind, MetricFamily, PrometheusType } from './types.js';
export { LITELLM_FAMILIES } from './litellm.js';
export { GENAI_FAMILIES } from './genai.js';
export {
  LATENCY_BUCKETS,
  PROMETHEUS_DEFAULT_BUCKETS,
  GENAI_DURATION_BUCKETS,
  GENAI_TOKEN_BUCKETS,
  GENAI_TPOT_BUCKETS,
  GENAI_TTFT_BUCKETS,
} from './buckets.js';

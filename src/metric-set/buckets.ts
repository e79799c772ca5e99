/** LiteLLM's LATENCY_BUCKETS (newest list), in seconds; +Inf is implicit. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 420, 600,
]);

/** prometheus_client's DEFAULT_BUCKETS, used by LiteLLM where it passes no buckets. */
export const PROMETHEUS_DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** OpenTelemetry GenAI semantic conventions: recommended buckets for `gen_ai.client.token.usage`. */
export const GENAI_TOKEN_BUCKETS: readonly number[] = Object.freeze([
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
]);

/** GenAI semantic conventions: recommended buckets for operation and request durations (seconds). */
export const GENAI_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]);

/** GenAI semantic conventions: recommended buckets for `gen_ai.server.time_to_first_token`. */
export const GENAI_TTFT_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** GenAI semantic conventions: recommended buckets for `gen_ai.server.time_per_output_token`. */
export const GENAI_TPOT_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5,
]);

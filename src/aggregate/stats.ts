/**
 * The aggregator's own counters, exposed on the same `/metrics` under the
 * `litellm_otel_aggregator_` prefix (no LiteLLM family starts with it).
 */

/** Why a data point was not merged. */
export type DropReason =
  | 'unsupported_type'
  | 'invalid_name'
  | 'invalid_label'
  | 'type_conflict'
  | 'bound_mismatch'
  | 'invalid_value'
  | 'unspecified_temporality'
  | 'series_limit'
  | 'out_of_order'
  | 'reset'
  | 'no_recorded_value';

/** Why a whole OTLP request was refused. */
export type RejectReason =
  | 'malformed'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unsupported_encoding'
  | 'method_not_allowed'
  | 'not_found';

export interface AggregatorStats {
  /** Accepted OTLP requests by body encoding. */
  readonly requests: Map<string, number>;
  readonly rejectedRequests: Map<RejectReason, number>;
  acceptedPoints: number;
  readonly droppedPoints: Map<DropReason, number>;
  /** Metrics of a type the aggregator does not merge, by OTLP data type. */
  readonly unsupportedMetrics: Map<string, number>;
  expiredSeries: number;
  scrapes: number;
  unauthorizedScrapes: number;
}

export function createStats(): AggregatorStats {
  return {
    requests: new Map(),
    rejectedRequests: new Map(),
    acceptedPoints: 0,
    droppedPoints: new Map(),
    unsupportedMetrics: new Map(),
    expiredSeries: 0,
    scrapes: 0,
    unauthorizedScrapes: 0,
  };
}

export function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

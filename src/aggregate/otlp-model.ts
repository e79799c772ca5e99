/**
 * The aggregator's validated, format-independent view of one OTLP `ExportMetricsServiceRequest`.
 * Produced from JSON or protobuf by `normalizeExportRequest`; consumed by the merge store.
 */

/** One attribute: key, and the value as the collector's `pcommon.Value.AsString()` renders it. */
export type Attr = readonly [key: string, value: string];

export interface NumberPoint {
  readonly attrs: readonly Attr[];
  /** Unix nanoseconds, as a double (sub-microsecond precision is not needed). */
  readonly start: number;
  readonly time: number;
  readonly value: number;
  /** The OTLP `FLAG_NO_RECORDED_VALUE` bit. */
  readonly noRecordedValue: boolean;
}

export interface HistogramPoint {
  readonly attrs: readonly Attr[];
  readonly start: number;
  readonly time: number;
  readonly count: number;
  readonly sum: number;
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly noRecordedValue: boolean;
}

/** OTLP wire values of `AggregationTemporality`. */
export const TEMPORALITY_UNSPECIFIED = 0;
export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;

export type NormalizedMetric =
  | {
      readonly kind: 'gauge';
      readonly name: string;
      readonly description: string;
      readonly unit: string;
      readonly points: readonly NumberPoint[];
    }
  | {
      readonly kind: 'sum';
      readonly name: string;
      readonly description: string;
      readonly unit: string;
      readonly temporality: number;
      readonly monotonic: boolean;
      readonly points: readonly NumberPoint[];
    }
  | {
      readonly kind: 'histogram';
      readonly name: string;
      readonly description: string;
      readonly unit: string;
      readonly temporality: number;
      readonly points: readonly HistogramPoint[];
    }
  | {
      /** Exponential histogram, summary, or a metric with no data at all. */
      readonly kind: 'unsupported';
      readonly name: string;
      readonly dataType: string;
      readonly pointCount: number;
    };

export interface NormalizedScope {
  readonly name: string;
  readonly version: string;
  readonly schemaUrl: string;
  readonly attrs: readonly Attr[];
  readonly metrics: readonly NormalizedMetric[];
}

export interface NormalizedResource {
  /** Canonical text of every resource attribute (the writer identity, incl. service.instance.id). */
  readonly identity: string;
  /** The collector exporter's `job`: `service.namespace/service.name`, or undefined without service.name. */
  readonly job: string | undefined;
  readonly scopes: readonly NormalizedScope[];
}

export interface NormalizedRequest {
  readonly resources: readonly NormalizedResource[];
  /** Data points in the request, all types. */
  readonly pointCount: number;
}

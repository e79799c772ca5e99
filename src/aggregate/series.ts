/** The merged state the store keeps and the exposition writer reads. */

/** How a series merges: monotonic sum, non-monotonic sum, gauge, explicit-bucket histogram. */
export type SeriesKind = 'counter' | 'updown' | 'gauge' | 'histogram';

/** The Prometheus type a kind is exposed as. */
export type FamilyType = 'counter' | 'gauge' | 'histogram';

export function familyTypeOf(kind: SeriesKind): FamilyType {
  return kind === 'counter' ? 'counter' : kind === 'histogram' ? 'histogram' : 'gauge';
}

/** `le` label values of one bounds list, in both formats (shared by every series with those bounds). */
export interface BoundsInfo {
  readonly bounds: Float64Array;
  /** Escaped `le` values, text format 0.0.4. */
  readonly leText: readonly string[];
  /** Escaped `le` values, OpenMetrics. */
  readonly leOpenMetrics: readonly string[];
  /** Whether the last bound is +Inf (then no extra +Inf bucket is written). */
  readonly infSeen: boolean;
  /** `<le>"} ` as bytes, per bound, in each format. */
  readonly leTextBytes: readonly Buffer[];
  readonly leOpenMetricsBytes: readonly Buffer[];
}

export interface Series {
  /** `a="x",b="y"`: label pairs sorted by name, values escaped; also the key in its family. */
  readonly labelText: string;
  /** Label values in label-name order, for client_golang's series order. */
  readonly sortValues: readonly string[];
  /** Counter, up-down or gauge value. */
  value: number;
  /** Time (Unix ns) of the point a gauge value came from. */
  time: number;
  /** Wall clock (ms) of the last accepted point, for expiry. */
  updated: number;
  /** Histogram state (non-cumulative bucket counts; the last one is the +Inf bucket). */
  boundsInfo: BoundsInfo | undefined;
  counts: Float64Array | undefined;
  count: number;
  sum: number;
  /** Encoded line prefixes, built on the first scrape (see exposition.ts). */
  prefixes: SeriesPrefixes | undefined;
}

/** UTF-8 bytes written before each value of a series; built once, copied on every scrape. */
export interface SeriesPrefixes {
  /** Text format: `name{labels} ` (counter, gauge). */
  readonly text: Buffer;
  /** OpenMetrics: the same bytes (kept apart in case a format ever needs its own). */
  readonly openMetrics: Buffer;
  /** Histograms: `name_bucket{labels,le="`, `name_sum{labels} `, `name_count{labels} `. */
  readonly bucket: Buffer | undefined;
  readonly sum: Buffer | undefined;
  readonly count: Buffer | undefined;
}

export interface Family {
  /** The exposed metric name (after name translation). */
  readonly name: string;
  readonly kind: SeriesKind;
  readonly type: FamilyType;
  /** The first description seen (the collector keeps the existing one on a conflict). */
  readonly help: string;
  readonly series: Map<string, Series>;
  /** Series in exposition order; undefined when a series was added or removed since. */
  sorted: Series[] | undefined;
}

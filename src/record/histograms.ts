// The metric set's histograms, aggregated by the recorder instead of by the SDK's histogram instruments,
// and handed to the SDK's MetricReader as a MetricProducer (the SDK's interface for metrics aggregated
// elsewhere). Why: the SDK hashes the attributes of every measurement (sort + JSON.stringify of 10-14
// labels), and a request writes 3-6 histograms; here an observation is a binary search and three
// additions on a series the recorder's batch entry already holds.
//
// What a reader gets is what the SDK would produce for the same observations through the project's
// views: the same descriptor, explicit buckets (the view's boundaries, no min/max), the exported labels
// only, the same start times (delta: the previous collection for a series reported then, else its first
// observation in the interval; cumulative: its first observation), and the same cardinality limit per
// interval with the overflow series `otel.metric.overflow=true` (test/record/histograms.test.ts compares
// the two). One producer serves one reader (delta resets at each collect): `attach` binds it.

import { ValueType, type Attributes } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { Selection } from '../views/selection.js';
import { DEFAULT_CARDINALITY_LIMIT } from '../views/views.js';

export interface HistogramProducerOptions {
  /** Series per family and interval before the overflow series (the views' `aggregationCardinalityLimit`). */
  aggregationCardinalityLimit?: number;
  /** The instrumentation scope the points are reported under. */
  scope: { name: string; version?: string };
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
}

/** One series of one family: its exported attributes and its aggregation. */
export interface HistogramSeries {
  readonly attributes: Attributes;
  readonly counts: Float64Array;
  /** Sum of this interval's observations. */
  sum: number;
  /** Cumulative: the sum of the intervals before (folded per interval, as the SDK merges them). */
  pastSum: number;
  count: number;
  /** Start of the series' current aggregation, ms. */
  start: number;
  /** The producer's generation when the series last received an observation (active this interval). */
  gen: number;
  /** Reported by the previous collection (delta start time). */
  reported: boolean;
}

interface Family {
  readonly name: string;
  readonly descriptor: HistogramMetricData['descriptor'];
  readonly boundaries: number[];
  /** Labels kept, in recorded order, when the settings drop some; undefined: all. */
  readonly exported: readonly string[] | undefined;
  readonly series: Map<string, HistogramSeries>;
  overflow: HistogramSeries | undefined;
  /** Series that received an observation this interval (the cardinality limit counts these). */
  active: number;
}

const OVERFLOW_ATTRIBUTES: Attributes = { 'otel.metric.overflow': true };

/** The SDK's bucket index: the first boundary >= value (buckets are upper-inclusive), or the last bucket. */
function bucketOf(boundaries: readonly number[], value: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class HistogramProducer implements MetricProducer {
  /**
   * Increases at every collection. A series reference is valid while the generation it was taken in is
   * current: delta collections delete idle series, so holders re-resolve after a collection.
   */
  gen = 1;
  private temporalityOf: AggregationTemporality | undefined;
  private readonly families: Family[] = [];
  private readonly byName = new Map<string, number>();
  private readonly limit: number;
  private readonly scope: { name: string; version?: string };
  private readonly now: () => number;
  private lastCollect: number | undefined;

  constructor(selection: Selection, opts: HistogramProducerOptions) {
    this.limit = opts.aggregationCardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT;
    this.scope = opts.scope;
    this.now = opts.now ?? Date.now;
    for (const s of selection.families) {
      if (s.family.instrument !== 'histogram' || !s.buckets) continue;
      const f = s.family;
      const descriptor = {
        name: f.instrumentName,
        description: f.help,
        unit: f.unit ?? '',
        valueType: ValueType.DOUBLE,
        type: InstrumentType.HISTOGRAM,
        advice: { explicitBucketBoundaries: [...s.buckets] },
      };
      this.byName.set(f.name, this.families.length);
      this.families.push({
        name: f.name,
        descriptor,
        boundaries: [...s.buckets],
        exported: s.exportedLabels.length === s.recordedLabels.length ? undefined : s.exportedLabels,
        series: new Map(),
        overflow: undefined,
        active: 0,
      });
    }
  }

  /**
   * Binds the producer to the one reader it is a `metricProducers` entry of, with that reader's
   * temporality for histograms (`startWorkerMetrics` and `startLocalPrometheus` call this).
   */
  attach(temporality: AggregationTemporality): this {
    if (this.temporalityOf !== undefined)
      throw new Error('HistogramProducer: already attached to a reader (one producer serves one reader)');
    this.temporalityOf = temporality;
    return this;
  }

  /** Whether a reader reports this producer's histograms. */
  get attached(): boolean {
    return this.temporalityOf !== undefined;
  }

  get temporality(): AggregationTemporality {
    return this.temporalityOf ?? AggregationTemporality.DELTA;
  }

  /** Index of a family aggregated here, or -1. */
  familyIndex(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  /**
   * The series of family `f` for a measurement's attributes (all recorded labels; the ones the settings
   * drop are dropped here, as the view's allow-list would).
   */
  seriesFor(f: number, recorded: Attributes): HistogramSeries {
    const fam = this.families[f]!;
    const exported = fam.exported;
    let attributes = recorded;
    if (exported !== undefined) {
      attributes = {};
      for (const l of exported) if (l in recorded) attributes[l] = recorded[l];
    }
    let key = '';
    for (const l in attributes) {
      const v = String(attributes[l]);
      key += `${l.length}:${l}${v.length}:${v}`;
    }
    let s = fam.series.get(key);
    if (s === undefined) {
      s = this.newSeries(fam, attributes);
      fam.series.set(key, s);
    }
    return s;
  }

  /** One observation. NaN and negative values are dropped, as the SDK's histogram drops them. */
  record(f: number, series: HistogramSeries, value: number): void {
    if (!(value >= 0)) return;
    const fam = this.families[f]!;
    let s = series;
    if (s.gen !== this.gen) {
      // first observation of this series in the interval
      if (fam.active >= this.limit - 1) {
        s = fam.overflow ??= this.newSeries(fam, OVERFLOW_ATTRIBUTES);
        if (s.gen !== this.gen) this.activate(s);
      } else {
        fam.active++;
        this.activate(s);
      }
    }
    s.counts[bucketOf(fam.boundaries, value)]!++;
    s.sum += value;
    s.count++;
  }

  async collect(): Promise<CollectionResult> {
    return this.collectNow();
  }

  /** The collection, synchronously: points of every series with observations; delta resets them. */
  collectNow(): CollectionResult {
    const now = this.now();
    const endTime = millisToHrTime(now);
    const delta = this.temporality === AggregationTemporality.DELTA;
    const metrics: HistogramMetricData[] = [];
    for (const fam of this.families) {
      const points: DataPoint<Histogram>[] = [];
      const report = (s: HistogramSeries): boolean => {
        if (s.count === 0) return false;
        const start = delta && s.reported && this.lastCollect !== undefined ? this.lastCollect : s.start;
        points.push({
          attributes: s.attributes,
          startTime: millisToHrTime(start),
          endTime,
          value: {
            buckets: { boundaries: fam.boundaries, counts: Array.from(s.counts) },
            sum: delta || !s.reported ? s.sum : s.pastSum + s.sum,
            count: s.count,
            min: undefined,
            max: undefined,
          },
        });
        if (delta) {
          s.counts.fill(0);
          s.count = 0;
        } else {
          s.pastSum = s.reported ? s.pastSum + s.sum : s.sum;
        }
        s.sum = 0;
        s.reported = true;
        return true;
      };
      for (const [key, s] of fam.series) {
        // delta: a series with nothing this interval is forgotten (a later one starts afresh)
        if (!report(s) && delta) fam.series.delete(key);
      }
      if (fam.overflow !== undefined && !report(fam.overflow) && delta) fam.overflow = undefined;
      fam.active = 0;
      if (points.length > 0) {
        metrics.push({
          descriptor: fam.descriptor,
          aggregationTemporality: this.temporality,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: points,
        });
      }
    }
    this.lastCollect = now;
    this.gen++;
    return {
      resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: this.scope, metrics }] },
      errors: [],
    };
  }

  /** Series held, over all families (for tests and memory checks). */
  get size(): number {
    let n = 0;
    for (const f of this.families) n += f.series.size + (f.overflow ? 1 : 0);
    return n;
  }

  private newSeries(fam: Family, attributes: Attributes): HistogramSeries {
    return {
      attributes,
      counts: new Float64Array(fam.boundaries.length + 1),
      sum: 0,
      pastSum: 0,
      count: 0,
      start: 0,
      gen: 0,
      reported: false,
    };
  }

  private activate(s: HistogramSeries): void {
    s.gen = this.gen;
    // delta: the interval's first observation; cumulative: the series' first ever
    if (this.temporality === AggregationTemporality.DELTA || s.start === 0) s.start = this.now();
  }
}

/**
 * The merge store: what the collector pipeline
 * `cumulativetodelta → transform (drop the worker identity) → deltatocumulative → prometheus`
 * does, in one place.
 *
 * - Delta sums and histograms are added into one series per (exposed name, labels).
 * - A cumulative writer's stream (keyed by its whole resource incl. `service.instance.id`, scope,
 *   metric, unit and attributes) is turned into deltas first, as `cumulativetodelta` does: a new
 *   start time is a new stream whose first point counts in full only if it started after the store
 *   did (`initial_value: auto`, minus its `time != start` condition: see countsInFull), otherwise
 *   it is a baseline;
 *   a sum that decreases without a new start is a reset (the point is dropped and becomes the
 *   baseline); a histogram whose count or a bucket decreases counts in full.
 * - Gauges: the point with the latest time wins.
 * - Cumulative up-down sums: the sum of each live writer's latest value.
 * - Histogram bound mismatches, negative or non-finite deltas are refused and counted: exposed
 *   counters and buckets never decrease.
 * - Series idle longer than `expireAfterMs` are removed.
 */
import { compareUtf8 } from './utf8-compare.js';
import { escapeLabelValue, formatOpenMetricsFloat, formatTextFloat } from './format.js';
import { buildLabelName, buildMetricName, memoize } from './names.js';
import type { Attr, HistogramPoint, NormalizedRequest, NormalizedScope, NumberPoint } from './otlp-model.js';
import { TEMPORALITY_CUMULATIVE, TEMPORALITY_DELTA } from './otlp-model.js';
import type { BoundsInfo, Family, Series, SeriesKind } from './series.js';
import { familyTypeOf } from './series.js';
import type { AggregatorStats, DropReason } from './stats.js';
import { bump, createStats } from './stats.js';
import { renderExposition, type ExpositionFormat } from './exposition.js';

export interface MergeStoreOptions {
  /** Idle series are removed after this long (ms). */
  readonly expireAfterMs: number;
  /** Per-writer state of cumulative streams is forgotten after this long without a point (ms). */
  readonly writerExpireAfterMs: number;
  /** At most this many merged series; points that would create more are dropped and counted. */
  readonly maxSeries: number;
  /** Add `otel_scope_name/version/schema_url` and `otel_scope_<attr>` labels (exporter default). */
  readonly scopeLabels: boolean;
  /** Add the `job` label from service.namespace/service.name (exporter default). */
  readonly jobLabel: boolean;
  /** Expose the aggregator's own `litellm_otel_aggregator_*` metrics. */
  readonly selfMetrics: boolean;
  /** Start time of the store (Unix ms); default now. Cumulative streams older than this are baselines. */
  readonly startTimeMs?: number;
}

/** What one request did: accepted and refused points, for the OTLP partial-success answer. */
export interface IngestResult {
  accepted: number;
  /** Points refused in a way the sender should hear about (OTLP `rejectedDataPoints`). */
  rejected: number;
  /** The first reason for a refusal, human-readable. */
  message: string | undefined;
}

interface WriterState {
  kind: SeriesKind;
  familyName: string;
  labelText: string;
  start: number;
  time: number;
  seen: number;
  value: number;
  counts: Float64Array | undefined;
  count: number;
  sum: number;
  bounds: Float64Array | undefined;
}

/** Reasons reported back to the sender as rejected points (others are routine, e.g. an older gauge). */
const REPORTED: ReadonlySet<DropReason> = new Set<DropReason>([
  'unsupported_type',
  'invalid_name',
  'invalid_label',
  'type_conflict',
  'bound_mismatch',
  'invalid_value',
  'unspecified_temporality',
  'series_limit',
]);

interface LabelsBuilt {
  labelText: string;
  sortValues: string[];
}

export class MergeStore {
  readonly stats: AggregatorStats = createStats();
  private readonly families = new Map<string, Family>();
  private sortedFamilies: Family[] | undefined;
  private readonly writers = new Map<string, WriterState>();
  private readonly boundsCache = new Map<string, BoundsInfo>();
  private seriesCount = 0;
  private lastSweep = 0;
  private readonly sweepEveryMs: number;
  private readonly startTimeNs: number;
  private readonly metricName = memoize(buildMetricName);
  private readonly labelName = memoize(buildLabelName);
  private readonly pairs: [string, string][] = [];

  constructor(private readonly options: MergeStoreOptions) {
    this.sweepEveryMs = Math.min(
      10_000,
      Math.max(50, Math.floor(Math.min(options.expireAfterMs, options.writerExpireAfterMs) / 20)),
    );
    this.startTimeNs = (options.startTimeMs ?? Date.now()) * 1e6;
  }

  /** Number of merged series currently held. */
  get size(): number {
    return this.seriesCount;
  }

  /** Number of cumulative writer streams currently tracked. */
  get writerStreams(): number {
    return this.writers.size;
  }

  /** Merges one validated request. Never throws. */
  ingest(request: NormalizedRequest, nowMs: number = Date.now()): IngestResult {
    const result: IngestResult = { accepted: 0, rejected: 0, message: undefined };
    this.sweepIfDue(nowMs);
    for (const resource of request.resources) {
      const job = this.options.jobLabel ? resource.job : undefined;
      for (const scope of resource.scopes) {
        const extra = this.scopePairs(scope, job);
        for (const metric of scope.metrics) {
          if (metric.kind === 'unsupported') {
            bump(this.stats.unsupportedMetrics, metric.dataType);
            this.drop(
              result,
              'unsupported_type',
              metric.pointCount,
              `metric "${metric.name}": ${metric.dataType} data is not supported`,
            );
            continue;
          }
          const name = this.metricName(metric.name);
          if (name === undefined) {
            this.drop(
              result,
              'invalid_name',
              metric.points.length,
              `metric name "${metric.name}" is not usable`,
            );
            continue;
          }
          if (extra === undefined) {
            this.drop(
              result,
              'invalid_label',
              metric.points.length,
              `scope "${scope.name}" has an attribute that is not a usable label name`,
            );
            continue;
          }
          const streamPrefix =
            resource.identity +
            '\u0002' +
            scope.name +
            '\u0002' +
            scope.version +
            '\u0002' +
            metric.name +
            '\u0002' +
            metric.unit +
            '\u0002';
          if (metric.kind === 'histogram') {
            for (const p of metric.points)
              this.histogramPoint(
                result,
                name,
                metric.description,
                metric.temporality,
                p,
                extra,
                streamPrefix,
                nowMs,
              );
          } else {
            const kind: SeriesKind =
              metric.kind === 'gauge' ? 'gauge' : metric.monotonic ? 'counter' : 'updown';
            const temporality = metric.kind === 'gauge' ? 0 : metric.temporality;
            for (const p of metric.points)
              this.numberPoint(
                result,
                name,
                metric.description,
                kind,
                temporality,
                p,
                extra,
                streamPrefix,
                nowMs,
              );
          }
        }
      }
    }
    this.stats.acceptedPoints += result.accepted;
    return result;
  }

  /** Renders the exposition (text 0.0.4 or OpenMetrics 1.0) as a string. */
  render(format: ExpositionFormat, nowMs: number = Date.now()): string {
    return this.renderBytes(format, nowMs).toString('utf8');
  }

  /**
   * Renders the exposition as UTF-8 bytes (what `/metrics` sends), into `scratch` when it is big
   * enough (a buffer the caller no longer uses); the result may be a view of it.
   */
  renderBytes(format: ExpositionFormat, nowMs: number = Date.now(), scratch?: Buffer): Buffer {
    this.sweepIfDue(nowMs);
    let families = this.sortedFamilies;
    if (families === undefined) {
      families = [...this.families.values()].sort((a, b) => compareUtf8(a.name, b.name));
      this.sortedFamilies = families;
    }
    for (const f of families) {
      if (f.sorted === undefined) f.sorted = [...f.series.values()].sort(compareSeries);
    }
    return renderExposition(families, format, this.options.selfMetrics ? this : undefined, scratch);
  }

  /** Removes expired series and writer states now. */
  sweep(nowMs: number = Date.now()): void {
    this.lastSweep = nowMs;
    const seriesDeadline = nowMs - this.options.expireAfterMs;
    const writerDeadline = nowMs - this.options.writerExpireAfterMs;
    for (const [key, w] of this.writers) {
      if (w.seen >= writerDeadline) continue;
      this.writers.delete(key);
      if (w.kind === 'updown') {
        // The writer is gone: its last value no longer counts in the sum over live writers.
        const s = this.families.get(w.familyName)?.series.get(w.labelText);
        if (s !== undefined) s.value -= w.value;
      }
    }
    for (const [name, family] of this.families) {
      for (const [key, s] of family.series) {
        if (s.updated >= seriesDeadline) continue;
        family.series.delete(key);
        family.sorted = undefined;
        this.seriesCount--;
        this.stats.expiredSeries++;
      }
      if (family.series.size === 0) {
        this.families.delete(name);
        this.sortedFamilies = undefined;
      }
    }
  }

  private sweepIfDue(nowMs: number): void {
    if (nowMs - this.lastSweep >= this.sweepEveryMs) this.sweep(nowMs);
  }

  private drop(result: IngestResult, reason: DropReason, n: number, message: string): void {
    if (n <= 0) return;
    bump(this.stats.droppedPoints, reason, n);
    if (REPORTED.has(reason)) {
      result.rejected += n;
      if (result.message === undefined) result.message = message;
    }
  }

  /** Scope and job labels shared by every point of a scope; undefined if a scope attribute is unusable. */
  private scopePairs(scope: NormalizedScope, job: string | undefined): [string, string][] | undefined {
    const out: [string, string][] = [];
    if (this.options.scopeLabels) {
      for (const [k, v] of scope.attrs) {
        const n = this.labelName('otel_scope_' + k);
        if (n === undefined) return undefined;
        out.push([n, v]);
      }
      out.push(
        ['otel_scope_name', scope.name],
        ['otel_scope_version', scope.version],
        ['otel_scope_schema_url', scope.schemaUrl],
      );
    }
    if (job !== undefined) out.push(['job', job]);
    return out;
  }

  /** Builds the label text of a point; undefined when a label name is unusable or duplicated. */
  private labels(attrs: readonly Attr[], extra: readonly [string, string][]): LabelsBuilt | undefined {
    const pairs = this.pairs;
    pairs.length = 0;
    for (const [k, v] of attrs) {
      const n = this.labelName(k);
      if (n === undefined) return undefined;
      pairs.push([n, v]);
    }
    for (const e of extra) pairs.push(e);
    pairs.sort(comparePairs);
    let labelText = '';
    const sortValues = new Array<string>(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const [n, v] = pairs[i] as [string, string];
      if (i > 0) {
        // Duplicate label names make client_golang refuse the metric.
        if ((pairs[i - 1] as [string, string])[0] === n) return undefined;
        labelText += ',';
      }
      labelText += n + '="' + escapeLabelValue(v) + '"';
      sortValues[i] = v;
    }
    return { labelText, sortValues };
  }

  private family(result: IngestResult, name: string, help: string, kind: SeriesKind): Family | undefined {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { name, kind, type: familyTypeOf(kind), help, series: new Map(), sorted: undefined };
      this.families.set(name, f);
      this.sortedFamilies = undefined;
      return f;
    }
    if (f.kind !== kind) {
      this.drop(result, 'type_conflict', 1, `metric "${name}" was seen before as ${f.kind}, not ${kind}`);
      return undefined;
    }
    return f;
  }

  private series(
    result: IngestResult,
    family: Family,
    built: LabelsBuilt,
    nowMs: number,
  ): Series | undefined {
    let s = family.series.get(built.labelText);
    if (s !== undefined) return s;
    if (this.seriesCount >= this.options.maxSeries) {
      this.drop(
        result,
        'series_limit',
        1,
        `the aggregator holds its maximum of ${this.options.maxSeries} series`,
      );
      return undefined;
    }
    s = {
      labelText: built.labelText,
      sortValues: built.sortValues,
      value: 0,
      time: -Infinity,
      updated: nowMs,
      boundsInfo: undefined,
      counts: undefined,
      count: 0,
      sum: 0,
      prefixes: undefined,
    };
    family.series.set(built.labelText, s);
    family.sorted = undefined;
    this.seriesCount++;
    return s;
  }

  private numberPoint(
    result: IngestResult,
    name: string,
    help: string,
    kind: SeriesKind,
    temporality: number,
    p: NumberPoint,
    extra: readonly [string, string][],
    streamPrefix: string,
    nowMs: number,
  ): void {
    if (p.noRecordedValue) return this.drop(result, 'no_recorded_value', 1, '');
    const built = this.labels(p.attrs, extra);
    if (built === undefined)
      return this.drop(
        result,
        'invalid_label',
        1,
        `metric "${name}": an attribute is not a usable label name`,
      );
    let delta: number;
    if (kind === 'gauge') {
      delta = p.value;
    } else if (temporality === TEMPORALITY_DELTA) {
      if (!Number.isFinite(p.value) || (kind === 'counter' && p.value < 0)) {
        return this.drop(result, 'invalid_value', 1, `metric "${name}": delta ${p.value} cannot be added`);
      }
      delta = p.value;
    } else if (temporality === TEMPORALITY_CUMULATIVE) {
      if (!Number.isFinite(p.value))
        return this.drop(result, 'invalid_value', 1, `metric "${name}": value ${p.value} cannot be added`);
      const d = this.cumulativeNumber(kind, name, built.labelText, streamPrefix + built.labelText, p, nowMs);
      if (d === undefined) return this.drop(result, 'out_of_order', 1, '');
      if (d === 'reset') return this.drop(result, 'reset', 1, '');
      if (d === null) {
        // A baseline: consumed, but nothing to add yet (cumulativetodelta emits no point either).
        result.accepted++;
        return;
      }
      delta = d;
    } else {
      return this.drop(
        result,
        'unspecified_temporality',
        1,
        `metric "${name}": sum without aggregation temporality`,
      );
    }
    const family = this.family(result, name, help, kind);
    if (family === undefined) return;
    const s = this.series(result, family, built, nowMs);
    if (s === undefined) return;
    if (kind === 'gauge') {
      if (p.time < s.time) return this.drop(result, 'out_of_order', 1, '');
      s.value = delta;
      s.time = p.time;
    } else {
      s.value += delta;
    }
    s.updated = nowMs;
    result.accepted++;
  }

  /**
   * Delta of a cumulative number point for its writer stream: undefined for an out-of-order point,
   * null for a baseline (the first point of a stream that predates the store).
   */
  private cumulativeNumber(
    kind: SeriesKind,
    familyName: string,
    labelText: string,
    key: string,
    p: NumberPoint,
    nowMs: number,
  ): number | null | 'reset' | undefined {
    const w = this.writers.get(key);
    if (w === undefined) {
      this.writers.set(key, {
        kind,
        familyName,
        labelText,
        start: p.start,
        time: p.time,
        seen: nowMs,
        value: p.value,
        counts: undefined,
        count: 0,
        sum: 0,
        bounds: undefined,
      });
      // Up-down sums: a writer's current value always counts. Counters: only a stream that began
      // after the store did (otherwise its history is a baseline, as cumulativetodelta `auto`).
      if (kind === 'updown') return p.value;
      return this.countsInFull(p.start, p.time) ? p.value : null;
    }
    if (p.start === w.start && p.time <= w.time) return undefined;
    const previous = w.value;
    const restarted = p.start !== w.start;
    w.start = p.start;
    w.time = p.time;
    w.seen = nowMs;
    w.value = p.value;
    if (kind === 'updown') return p.value - previous;
    if (restarted) return this.countsInFull(p.start, p.time) ? p.value : null;
    // A decrease without a new start time: cumulativetodelta drops the point and takes it as the
    // new baseline (the `reset` case); nothing is added, nothing is subtracted.
    return p.value < previous ? 'reset' : p.value - previous;
  }

  /**
   * cumulativetodelta `initial_value: auto` counts a stream's first point if `start >= processor
   * start && time != start`. The second condition is left out on purpose: the JS SDK stamps
   * milliseconds, so a series first recorded in the same millisecond as the collection that exports
   * it has `time == start`, and c2d would take its count as a baseline and lose it.
   */
  private countsInFull(start: number, _time: number): boolean {
    return start >= this.startTimeNs;
  }

  private boundsInfo(bounds: readonly number[]): BoundsInfo {
    const key = bounds.join(',');
    let info = this.boundsCache.get(key);
    if (info === undefined) {
      info = {
        bounds: Float64Array.from(bounds),
        leText: bounds.map(formatTextFloat),
        leOpenMetrics: bounds.map(formatOpenMetricsFloat),
        leTextBytes: bounds.map((b) => Buffer.from(formatTextFloat(b) + '"} ')),
        leOpenMetricsBytes: bounds.map((b) => Buffer.from(formatOpenMetricsFloat(b) + '"} ')),
        infSeen: bounds.length > 0 && bounds[bounds.length - 1] === Infinity,
      };
      if (this.boundsCache.size > 1000) this.boundsCache.clear();
      this.boundsCache.set(key, info);
    }
    return info;
  }

  private histogramPoint(
    result: IngestResult,
    name: string,
    help: string,
    temporality: number,
    p: HistogramPoint,
    extra: readonly [string, string][],
    streamPrefix: string,
    nowMs: number,
  ): void {
    if (p.noRecordedValue) return this.drop(result, 'no_recorded_value', 1, '');
    const invalid = checkHistogram(p);
    if (invalid !== undefined)
      return this.drop(result, 'invalid_value', 1, `histogram "${name}": ${invalid}`);
    const built = this.labels(p.attrs, extra);
    // An `le` attribute would repeat the bucket label, and a scraper refuses the whole page.
    if (built === undefined || built.labelText.startsWith('le="') || built.labelText.includes(',le="'))
      return this.drop(
        result,
        'invalid_label',
        1,
        `metric "${name}": an attribute is not a usable label name`,
      );
    let counts: readonly number[] | Float64Array = p.counts;
    let count = p.count;
    let sum = p.sum;
    if (temporality === TEMPORALITY_CUMULATIVE) {
      const d = this.cumulativeHistogram(name, built.labelText, streamPrefix + built.labelText, p, nowMs);
      if (d === 'out_of_order') return this.drop(result, 'out_of_order', 1, '');
      if (d === 'bound_mismatch')
        return this.drop(
          result,
          'bound_mismatch',
          1,
          `histogram "${name}": bucket bounds changed within one writer stream`,
        );
      if (d === 'baseline') {
        result.accepted++;
        return;
      }
      ({ counts, count, sum } = d);
    } else if (temporality !== TEMPORALITY_DELTA) {
      return this.drop(
        result,
        'unspecified_temporality',
        1,
        `histogram "${name}" without aggregation temporality`,
      );
    }
    const family = this.family(result, name, help, 'histogram');
    if (family === undefined) return;
    const existing = family.series.get(built.labelText);
    if (
      existing !== undefined &&
      existing.boundsInfo !== undefined &&
      !sameBounds(existing.boundsInfo.bounds, p.bounds)
    ) {
      return this.drop(
        result,
        'bound_mismatch',
        1,
        `histogram "${name}": bucket bounds differ from the series' bounds`,
      );
    }
    const s = existing ?? this.series(result, family, built, nowMs);
    if (s === undefined) return;
    if (s.boundsInfo === undefined) {
      s.boundsInfo = this.boundsInfo(p.bounds);
      s.counts = new Float64Array(p.bounds.length + 1);
    }
    const target = s.counts as Float64Array;
    for (let i = 0; i < counts.length; i++) target[i] = (target[i] as number) + (counts[i] as number);
    s.count += count;
    s.sum += sum;
    s.updated = nowMs;
    result.accepted++;
  }

  private cumulativeHistogram(
    familyName: string,
    labelText: string,
    key: string,
    p: HistogramPoint,
    nowMs: number,
  ):
    | 'out_of_order'
    | 'bound_mismatch'
    | 'baseline'
    | { counts: Float64Array | readonly number[]; count: number; sum: number } {
    const w = this.writers.get(key);
    if (w === undefined) {
      this.writers.set(key, {
        kind: 'histogram',
        familyName,
        labelText,
        start: p.start,
        time: p.time,
        seen: nowMs,
        value: 0,
        counts: Float64Array.from(p.counts),
        count: p.count,
        sum: p.sum,
        bounds: Float64Array.from(p.bounds),
      });
      return this.countsInFull(p.start, p.time) ? p : 'baseline';
    }
    if (p.start === w.start && p.time <= w.time) return 'out_of_order';
    const restarted = p.start !== w.start;
    const prevCounts = w.counts as Float64Array;
    const boundsChanged = !sameBounds(w.bounds as Float64Array, p.bounds);
    let reset = restarted || p.count < w.count;
    if (!reset && !boundsChanged) {
      for (let i = 0; i < p.counts.length; i++) {
        if ((p.counts[i] as number) < (prevCounts[i] as number)) {
          reset = true;
          break;
        }
      }
    }
    const prevCount = w.count;
    const prevSum = w.sum;
    w.start = p.start;
    w.time = p.time;
    w.seen = nowMs;
    w.counts = Float64Array.from(p.counts);
    w.count = p.count;
    w.sum = p.sum;
    if (boundsChanged && !restarted) {
      w.bounds = Float64Array.from(p.bounds);
      return 'bound_mismatch';
    }
    w.bounds = Float64Array.from(p.bounds);
    if (restarted) return this.countsInFull(p.start, p.time) ? p : 'baseline';
    if (reset) return p;
    const counts = new Float64Array(p.counts.length);
    for (let i = 0; i < counts.length; i++) counts[i] = (p.counts[i] as number) - (prevCounts[i] as number);
    return { counts, count: p.count - prevCount, sum: p.sum - prevSum };
  }
}

function checkHistogram(p: HistogramPoint): string | undefined {
  if (p.counts.length !== p.bounds.length + 1 && !(p.counts.length === 0 && p.bounds.length === 0)) {
    return `${p.counts.length} bucket counts for ${p.bounds.length} bounds`;
  }
  for (let i = 0; i < p.bounds.length; i++) {
    const b = p.bounds[i] as number;
    if (b !== b || (i > 0 && b <= (p.bounds[i - 1] as number))) return 'bounds are not strictly increasing';
  }
  if (!Number.isFinite(p.sum)) return `sum ${p.sum} cannot be added`;
  return undefined;
}

function sameBounds(a: Float64Array, b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function comparePairs(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** client_golang's `MetricSorter`: fewer labels first, then label values in label-name order. */
function compareSeries(a: Series, b: Series): number {
  const x = a.sortValues;
  const y = b.sortValues;
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    const c = compareUtf8(x[i] as string, y[i] as string);
    if (c !== 0) return c;
  }
  return 0;
}

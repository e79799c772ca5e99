// A PushMetricExporter around the real OTLP exporter that does not lose delta data on clear failures.
//
// With delta temporality the SDK resets its state at collect time, so a batch the exporter gave up on is
// gone (the SDK does not merge it into the next one). Here every collected batch goes into a bounded
// queue first; one drain loop sends the queue oldest first, one request at a time; a batch leaves the
// queue when it was delivered, refused for good (rejected) or possibly delivered (ambiguous). On a clear
// failure the drain stops and the batch stays at the head, to be sent again at the next collection.
// With cumulative temporality nothing is queued: the next export carries the running totals.

import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  AggregationType,
  type AggregationOption,
  type InstrumentType,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { classifyExportFailure, type ExportOutcome } from './classify.js';
import type { RequestTracker } from './request-tracker.js';
import type { ExportTemporality } from './options.js';

export type DropReason = 'queue_full' | 'rejected' | 'ambiguous' | 'shutdown';

/** Counters since start (monotonic) plus the current queue size. */
export interface ExportStats {
  /** Export requests by outcome (one per call of the real exporter, its own retries included). */
  requests: Record<ExportOutcome, number>;
  /** Data points delivered (2xx). */
  pointsExported: number;
  /** Data points given up on, by reason. */
  pointsDropped: Record<DropReason, number>;
  /** Data points waiting in the retry queue now (including a batch being sent). */
  pointsQueued: number;
  /** Batches waiting in the retry queue now. */
  batchesQueued: number;
}

export interface RetryingExporterOptions {
  /** The real exporter (OTLPMetricExporter). */
  inner: PushMetricExporter;
  /** Observes the inner exporter's HTTP requests (see request-tracker.ts). Without it, failures without a status count as clear. */
  tracker?: RequestTracker;
  temporality: ExportTemporality;
  /** Bound of the queue in data points; the batch being sent and the newest batch are always kept. */
  maxQueuedPoints: number;
  /** When a drain stopped on a clear failure and no new collection comes, try again after this. */
  retryDelayMillis: number;
}

interface Entry {
  metrics: ResourceMetrics;
  points: number;
}

const log = diag.createComponentLogger({ namespace: 'litellm-otel/export' });

/** Number of data points in a collection. */
export function countPoints(metrics: ResourceMetrics): number {
  let n = 0;
  for (const scope of metrics.scopeMetrics) for (const m of scope.metrics) n += m.dataPoints.length;
  return n;
}

/** A copy of `metrics` without its first `n` data points (scope order, metric order, point order). */
export function dropOldestPoints(metrics: ResourceMetrics, n: number): ResourceMetrics {
  let left = n;
  const scopeMetrics: ScopeMetrics[] = [];
  for (const scope of metrics.scopeMetrics) {
    const kept: MetricData[] = [];
    for (const m of scope.metrics) {
      if (left >= m.dataPoints.length) {
        left -= m.dataPoints.length;
        continue;
      }
      kept.push(left === 0 ? m : ({ ...m, dataPoints: m.dataPoints.slice(left) } as MetricData));
      left = 0;
    }
    if (kept.length > 0) scopeMetrics.push({ scope: scope.scope, metrics: kept });
  }
  return { resource: metrics.resource, scopeMetrics };
}

export class RetryingMetricExporter implements PushMetricExporter {
  private readonly inner: PushMetricExporter;
  private readonly tracker: RequestTracker | undefined;
  private readonly delta: boolean;
  private readonly maxQueuedPoints: number;
  private readonly retryDelayMillis: number;

  private readonly queue: Entry[] = [];
  private queuedPoints = 0;
  private inFlight: Entry | undefined;
  private draining: Promise<boolean> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private closed = false;
  private lastDrainOk = true;

  private readonly requests: Record<ExportOutcome, number> = {
    success: 0,
    retryable: 0,
    rejected: 0,
    ambiguous: 0,
  };
  private readonly dropped: Record<DropReason, number> = {
    queue_full: 0,
    rejected: 0,
    ambiguous: 0,
    shutdown: 0,
  };
  private readonly droppedSinceLog: Record<DropReason, number> = {
    queue_full: 0,
    rejected: 0,
    ambiguous: 0,
    shutdown: 0,
  };
  private pointsExported = 0;

  constructor(options: RetryingExporterOptions) {
    this.inner = options.inner;
    this.tracker = options.tracker;
    this.delta = options.temporality === 'delta';
    this.maxQueuedPoints = options.maxQueuedPoints;
    this.retryDelayMillis = options.retryDelayMillis;
  }

  /** Delta (or cumulative) for every instrument kind, UpDownCounters and observables included. */
  selectAggregationTemporality(_instrumentType: InstrumentType): AggregationTemporality {
    return this.delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this.inner.selectAggregation?.(instrumentType) ?? { type: AggregationType.DEFAULT };
  }

  stats(): ExportStats {
    return {
      requests: { ...this.requests },
      pointsExported: this.pointsExported,
      pointsDropped: { ...this.dropped },
      pointsQueued: this.queuedPoints,
      batchesQueued: this.queue.length,
    };
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (this.closed) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    this.logDrops(); // at most once per collection interval
    if (!this.delta) {
      // Cumulative: a lost export heals with the next one; resending an old total after a newer one would be wrong.
      void this.sendOnce(metrics).then((outcome) =>
        resultCallback(
          outcome === 'success'
            ? { code: ExportResultCode.SUCCESS }
            : { code: ExportResultCode.FAILED, error: new Error(`export ${outcome}`) },
        ),
      );
      return;
    }
    const points = countPoints(metrics);
    if (points > 0) this.enqueue({ metrics, points });
    // The batch is in our custody now: the reader is done with it and never waits on the endpoint.
    resultCallback({ code: ExportResultCode.SUCCESS });
    void this.drain();
  }

  /** Sends what is queued; a pass already running is awaited instead, and not repeated if it failed. */
  async forceFlush(): Promise<void> {
    if (this.delta) {
      const running = this.draining ? await this.draining : undefined;
      if (running !== false && this.queue.length > 0) await this.drain();
    }
    await this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // One more pass, unless the pass just made (the reader's final flush) already failed: each pass can
    // take the exporter's whole timeout, and the shutdown is bounded.
    const lastPassOk = this.draining ? await this.draining : this.lastDrainOk;
    if (this.delta && lastPassOk) await this.drain();
    this.closed = true;
    if (this.queuedPoints > 0) {
      const points = this.queuedPoints;
      this.queue.length = 0;
      this.queuedPoints = 0;
      this.countDrop('shutdown', points);
    }
    this.logDrops();
    await this.inner.shutdown();
  }

  private enqueue(entry: Entry): void {
    this.queue.push(entry);
    this.queuedPoints += entry.points;
    // Drop oldest first; never the batch being sent nor the newest one (it has not had its first try).
    let i = 0;
    while (this.queuedPoints > this.maxQueuedPoints && i < this.queue.length - 1) {
      const oldest = this.queue[i]!;
      if (oldest === this.inFlight) {
        i += 1;
        continue;
      }
      const excess = this.queuedPoints - this.maxQueuedPoints;
      if (oldest.points <= excess) {
        this.queue.splice(i, 1);
        this.queuedPoints -= oldest.points;
        this.countDrop('queue_full', oldest.points);
      } else {
        oldest.metrics = dropOldestPoints(oldest.metrics, excess);
        oldest.points -= excess;
        this.queuedPoints -= excess;
        this.countDrop('queue_full', excess);
      }
    }
  }

  /** Sends the queue oldest first until it is empty (true) or a clear failure stops it (false). */
  private drain(): Promise<boolean> {
    if (this.draining) return this.draining;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    const run = async (): Promise<boolean> => {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        this.inFlight = head;
        let outcome: ExportOutcome;
        try {
          outcome = await this.sendOnce(head.metrics);
        } finally {
          this.inFlight = undefined;
        }
        if (outcome === 'retryable') {
          this.scheduleRetry();
          return false;
        }
        // The head is still queue[0]: trimming never touches the batch in flight (checked anyway).
        const at = this.queue.indexOf(head);
        if (at < 0) continue;
        this.queue.splice(at, 1);
        this.queuedPoints -= head.points;
        if (outcome === 'success') this.pointsExported += head.points;
        else this.countDrop(outcome, head.points);
      }
      return true;
    };
    const p = run().then(
      (ok) => {
        this.lastDrainOk = ok;
        this.draining = undefined;
        return ok;
      },
      (e: unknown) => {
        // sendOnce never rejects; this is a bug guard so the drain can never wedge.
        log.error('drain failed', e);
        this.lastDrainOk = false;
        this.draining = undefined;
        return false;
      },
    );
    this.draining = p;
    return p;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, this.retryDelayMillis);
    this.retryTimer.unref();
  }

  /** One call of the real exporter (which does its own short retries), classified. Never rejects. */
  private sendOnce(metrics: ResourceMetrics): Promise<ExportOutcome> {
    this.tracker?.reset();
    return new Promise<ExportOutcome>((resolve) => {
      try {
        this.inner.export(metrics, (result) => {
          if (result.code === ExportResultCode.SUCCESS) {
            resolve('success');
            return;
          }
          const outcome = classifyExportFailure(result.error, this.tracker?.last);
          log.debug(`export failed (${outcome}): ${String(result.error?.message ?? result.error)}`);
          resolve(outcome);
        });
      } catch (e) {
        log.error('exporter threw; the batch cannot be sent', e);
        resolve('rejected');
      }
    }).then((outcome) => {
      this.requests[outcome] += 1;
      if (outcome === 'success') log.debug(`exported ${countPoints(metrics)} points`);
      return outcome;
    });
  }

  private countDrop(reason: DropReason, points: number): void {
    this.dropped[reason] += points;
    this.droppedSinceLog[reason] += points;
  }

  private logDrops(): void {
    const parts: string[] = [];
    for (const reason of Object.keys(this.droppedSinceLog) as DropReason[]) {
      const n = this.droppedSinceLog[reason];
      if (n > 0) parts.push(`${reason}=${n}`);
      this.droppedSinceLog[reason] = 0;
    }
    if (parts.length > 0) {
      log.warn(
        `dropped data points since the last report: ${parts.join(' ')} (queued now: ${this.queuedPoints})`,
      );
    }
  }
}

// The pipeline's own health, on the same MeterProvider (own meter `litellm-otel-export`), read from the
// exporter's counters by observable instruments at collect time: nothing is recorded during an export.

import type { Meter } from '@opentelemetry/api';
import type { DropReason, ExportStats } from './retrying-exporter.js';
import type { ExportOutcome } from './classify.js';

export const SELF_METER_NAME = 'litellm-otel-export';

/** The self-metric names, as exported (counters carry their final `_total`). */
export const SELF_METRICS = {
  /** Counter. Export requests by `result` = success | failure; failures also carry `reason` = retryable | rejected | ambiguous. */
  requests: 'litellm_otel_export_requests_total',
  /** Counter. Data points delivered. */
  pointsExported: 'litellm_otel_export_points_exported_total',
  /** Gauge. Data points waiting in the retry queue. */
  pointsQueued: 'litellm_otel_export_points_queued',
  /** Counter. Data points given up on, by `reason` = queue_full | rejected | ambiguous | shutdown. */
  pointsDropped: 'litellm_otel_export_points_dropped_total',
} as const;

/** Registers the self-metrics; `stats` is read at each collection. */
export function registerSelfMetrics(meter: Meter, stats: () => ExportStats): void {
  const requests = meter.createObservableCounter(SELF_METRICS.requests, {
    description: 'OTLP metric export requests made by this worker, by result',
  });
  const exported = meter.createObservableCounter(SELF_METRICS.pointsExported, {
    description: 'Metric data points this worker delivered to the OTLP endpoint',
  });
  const queued = meter.createObservableGauge(SELF_METRICS.pointsQueued, {
    description: 'Metric data points waiting in the retry queue of this worker',
  });
  const dropped = meter.createObservableCounter(SELF_METRICS.pointsDropped, {
    description: 'Metric data points this worker gave up on, by reason',
  });
  meter.addBatchObservableCallback(
    (result) => {
      const s = stats();
      result.observe(requests, s.requests.success, { result: 'success' });
      for (const reason of ['retryable', 'rejected', 'ambiguous'] as Exclude<ExportOutcome, 'success'>[]) {
        if (s.requests[reason] > 0)
          result.observe(requests, s.requests[reason], { result: 'failure', reason });
      }
      result.observe(exported, s.pointsExported);
      result.observe(queued, s.pointsQueued);
      for (const reason of Object.keys(s.pointsDropped) as DropReason[]) {
        if (s.pointsDropped[reason] > 0) result.observe(dropped, s.pointsDropped[reason], { reason });
      }
    },
    [requests, exported, queued, dropped],
  );
}

// One call from LiteLLM settings to everything a worker needs: the validated settings, the selected
// families, the OTel views to install on the MeterProvider, and a factory for the recorder.

import type { MeterProvider } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { Recorder, type RecorderOptions } from './recorder.js';
import { HistogramProducer } from './histograms.js';
import { parseMetricsSettings, type ValidMetricsSettings } from '../views/settings.js';
import { selectFamilies, type Selection } from '../views/selection.js';
import { buildViews, METER_NAME, type ViewBuildOptions } from '../views/views.js';
import { EndUserAdmission } from '../views/end-user-admission.js';

export interface MetricsSetupOptions extends Omit<ViewBuildOptions, 'extraProcessors'> {
  /** LiteLLM-named settings (`litellm_settings`); validated here, errors name the key. */
  settings?: unknown;
  /**
   * Set false to record real end_user values with no admission limiter (unbounded; for comparisons
   * only). Default true.
   */
  endUserAdmission?: boolean;
  /** Clock (ms) for the end-user TTL; default `Date.now`. */
  now?: () => number;
  /** Ignore keys that are not metrics settings (for a whole `litellm_settings` block). Default false. */
  lenientSettings?: boolean;
}

export interface MetricsSetup {
  readonly settings: ValidMetricsSettings;
  readonly selection: Selection;
  /** Views to pass to the MeterProvider (`new MeterProvider({ views })`). */
  readonly views: ViewOptions[];
  /** The end-user admission limiter, when end-user tracking is on. */
  readonly endUserAdmission?: EndUserAdmission;
  /**
   * The metric set's histograms aggregated by the recorder, for one reader: pass it to
   * `startWorkerMetrics` / `startLocalPrometheus` (option `histograms`), then to `createRecorder`.
   */
  createHistogramProducer(): HistogramProducer;
  /** A recorder writing through the provider's meter for this package. */
  createRecorder(meterProvider: MeterProvider, opts?: RecorderOptions): Recorder;
}

export const PACKAGE_VERSION = '0.1.0';

export function setupMetrics(options: MetricsSetupOptions = {}): MetricsSetup {
  const settings = parseMetricsSettings(options.settings, { lenient: options.lenientSettings === true });
  const selection = selectFamilies(settings);
  const endUserAdmission =
    selection.endUserTracking && options.endUserAdmission !== false
      ? new EndUserAdmission({
          maxSeries: settings.prometheus_end_user_metrics_max_series_per_metric,
          ttlSeconds: settings.prometheus_end_user_metrics_ttl_seconds,
          overflowValue: settings.end_user_overflow_value,
          now: options.now,
        })
      : undefined;
  const withEndUser = new Set(
    selection.families.filter((s) => s.recordedLabels.includes('end_user')).map((s) => s.family.name),
  );
  const cardinalityLimit = options.aggregationCardinalityLimit ?? settings.aggregation_cardinality_limit;
  const views = buildViews(selection, {
    aggregationCardinalityLimit: cardinalityLimit,
    extraProcessors: endUserAdmission
      ? (name) => (withEndUser.has(name) ? [endUserAdmission] : [])
      : undefined,
  });
  return {
    settings,
    selection,
    views,
    endUserAdmission,
    createHistogramProducer: () =>
      new HistogramProducer(selection, {
        aggregationCardinalityLimit: cardinalityLimit,
        scope: { name: METER_NAME, version: PACKAGE_VERSION },
      }),
    createRecorder: (meterProvider, opts) =>
      new Recorder(meterProvider.getMeter(METER_NAME, PACKAGE_VERSION), selection, {
        // The recorder applies admission once per request, before it batches by label set, so the
        // batch is bounded by the admitted users too; the views' processor then sees admitted values.
        admitEndUser: endUserAdmission ? (v) => endUserAdmission.map(v) : undefined,
        ...opts,
      }),
  };
}

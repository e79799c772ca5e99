// The selection as OTel Views: one view per catalog family. Exported families get their buckets, their
// label allow-list (only when the selection removes labels, so the common case pays nothing) and the
// cardinality safety net; switched-off families get the Drop aggregation.

import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { createAllowListAttributesProcessor, type IAttributesProcessor } from '@opentelemetry/sdk-metrics';
import type { Selection } from './selection.js';

/** The scope (meter) name every family is recorded under. */
export const METER_NAME = 'litellm-otel-metrics';

/** Default `aggregationCardinalityLimit` per family and export interval. */
export const DEFAULT_CARDINALITY_LIMIT = 20_000;

export interface ViewBuildOptions {
  /** Series per family and export interval before the SDK's overflow series (`otel.metric.overflow="true"`). */
  aggregationCardinalityLimit?: number;
  /** Extra attribute processors per family (the end-user admission limiter attaches here). */
  extraProcessors?: (familyName: string) => readonly IAttributesProcessor[];
}

export function buildViews(selection: Selection, opts: ViewBuildOptions = {}): ViewOptions[] {
  const limit = opts.aggregationCardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT;
  const views: ViewOptions[] = [];
  for (const s of selection.families) {
    const processors: IAttributesProcessor[] = [...(opts.extraProcessors?.(s.family.name) ?? [])];
    if (s.exportedLabels.length !== s.recordedLabels.length) {
      processors.push(createAllowListAttributesProcessor([...s.exportedLabels]));
    }
    const view: ViewOptions = {
      instrumentName: s.family.instrumentName,
      meterName: METER_NAME,
      aggregationCardinalityLimit: limit,
    };
    if (processors.length > 0) view.attributesProcessors = processors;
    if (s.buckets) {
      view.aggregation = {
        type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: [...s.buckets], recordMinMax: false },
      };
    }
    views.push(view);
  }
  for (const f of selection.excluded) {
    views.push({
      instrumentName: f.instrumentName,
      meterName: METER_NAME,
      aggregation: { type: AggregationType.DROP },
    });
  }
  return views;
}

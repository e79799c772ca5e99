// The families one LiteLLM success writes WITH an end_user label, with the label values and the
// value written, taken from our own recorder (one successEvent of the recording benchmark, recorded
// through setupMetrics with track_end_user and no admission limiter, collected once). The
// prom-client and Python baselines of the churn benchmark write exactly these.

import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { LITELLM_FAMILIES } from '../../src/metric-set/index.js';
import { setupMetrics } from '../../src/record/setup.js';
import { successEvent } from '../record/variants.js';

export interface EndUserFamily {
  /** LiteLLM's name (the name prometheus_client is given), e.g. `litellm_spend_metric`. */
  name: string;
  /** Our instrument name (with `_total` for counters), the name prom-client is given. */
  instrumentName: string;
  type: 'counter' | 'histogram';
  help: string;
  /** The label names written, in LiteLLM's order. */
  labels: string[];
  /** One success's label values (end_user replaced per user by the benchmarks). */
  labelValues: Record<string, string>;
  /** The counter increment or the histogram observation. */
  value: number;
  buckets?: number[];
}

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const PROBE = 'end-user-probe';

export async function endUserFamilies(): Promise<EndUserFamily[]> {
  const setup = setupMetrics({ settings: { track_end_user: true }, endUserAdmission: false });
  const reader = new Reader();
  const provider = new MeterProvider({ views: setup.views, readers: [reader] });
  const recorder = setup.createRecorder(provider);
  const e = successEvent(1);
  e.endUser = PROBE;
  recorder.recordSuccess(e);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  const byInstrument = new Map(LITELLM_FAMILIES.map((f) => [f.instrumentName, f]));
  const out: EndUserFamily[] = [];
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) {
      const f = byInstrument.get(m.descriptor.name);
      if (!f || (f.type !== 'counter' && f.type !== 'histogram')) continue;
      const p = m.dataPoints.find((d) => d.attributes.end_user === PROBE);
      if (!p) continue;
      const labels = f.labels.filter((l) => l in p.attributes);
      const labelValues = Object.fromEntries(labels.map((l) => [l, String(p.attributes[l])]));
      const v = p.value as number | { sum?: number; count: number };
      const value = typeof v === 'number' ? v : (v.sum ?? 0) / v.count;
      out.push({
        name: f.name,
        instrumentName: f.instrumentName,
        type: f.type,
        help: f.help,
        labels,
        labelValues,
        value,
        ...(f.type === 'histogram' ? { buckets: [...(f.buckets ?? [])] } : {}),
      });
    }
  }
  return out;
}

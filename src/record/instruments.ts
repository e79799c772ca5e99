// One OTel instrument per selected family, created from the family's data. The recorder looks them up
// by family name once, at construction, and keeps direct references for the hot path.

import type { Attributes, Meter } from '@opentelemetry/api';
import type { SelectedFamily } from '../views/selection.js';

/** The one operation the recorder performs on any family: add, record or set a value. */
export interface FamilySlot {
  readonly selected: SelectedFamily;
  readonly labels: readonly string[];
  readonly write: (value: number, attributes: Attributes) => void;
}

export function createSlot(meter: Meter, selected: SelectedFamily): FamilySlot {
  const f = selected.family;
  const opts: { description: string; unit?: string; advice?: { explicitBucketBoundaries: number[] } } = {
    description: f.help,
  };
  if (f.unit) opts.unit = f.unit;
  if (selected.buckets) opts.advice = { explicitBucketBoundaries: [...selected.buckets] };
  let write: FamilySlot['write'];
  switch (f.instrument) {
    case 'counter': {
      const c = meter.createCounter(f.instrumentName, opts);
      write = (v, a) => c.add(v, a);
      break;
    }
    case 'updowncounter': {
      const c = meter.createUpDownCounter(f.instrumentName, opts);
      write = (v, a) => c.add(v, a);
      break;
    }
    case 'histogram': {
      const h = meter.createHistogram(f.instrumentName, opts);
      write = (v, a) => h.record(v, a);
      break;
    }
    case 'gauge': {
      const g = meter.createGauge(f.instrumentName, opts);
      write = (v, a) => g.record(v, a);
      break;
    }
  }
  return { selected, labels: selected.recordedLabels, write };
}

/**
 * Writes the Prometheus exposition as client_golang's `expfmt` does for the collector's
 * `prometheus` exporter: text format 0.0.4 (`MetricFamilyToText`) or OpenMetrics 1.0
 * (`MetricFamilyToOpenMetrics` + `FinalizeOpenMetrics`), families sorted by name, series by label
 * values, no timestamps, no `_created` lines.
 */
import {
  escapeHelpOpenMetrics,
  escapeHelpText,
  formatOpenMetricsFloat,
  formatTextFloat,
  formatUint,
} from './format.js';
import type { Family, Series } from './series.js';
import type { MergeStore } from './store.js';
import { renderSelfMetrics } from './self-metrics.js';

export type ExpositionFormat = 'text' | 'openmetrics';

function header(out: string, familyName: string, help: string, type: string, om: boolean): string {
  return (
    out +
    '# HELP ' +
    familyName +
    ' ' +
    (om ? escapeHelpOpenMetrics(help) : escapeHelpText(help)) +
    '\n# TYPE ' +
    familyName +
    ' ' +
    type +
    '\n'
  );
}

function labelBlock(s: Series): string {
  return s.labelText.length === 0 ? '' : '{' + s.labelText + '}';
}

function renderFamily(out: string, f: Family, om: boolean): string {
  const series = f.sorted as Series[];
  if (series.length === 0) return out;
  const fmt = om ? formatOpenMetricsFloat : formatTextFloat;
  if (f.type === 'histogram') {
    out = header(out, f.name, f.help, 'histogram', om);
    const bucket = f.name + '_bucket{';
    const sumName = f.name + '_sum';
    const countName = f.name + '_count';
    for (const s of series) {
      const info = s.boundsInfo;
      const counts = s.counts;
      const sep = s.labelText.length === 0 ? 'le="' : ',le="';
      const prefix = bucket + s.labelText + sep;
      if (info !== undefined && counts !== undefined) {
        const les = om ? info.leOpenMetrics : info.leText;
        let cumulative = 0;
        for (let i = 0; i < les.length; i++) {
          cumulative += counts[i] as number;
          out += prefix + les[i] + '"} ' + (om ? formatUint(cumulative) : formatTextFloat(cumulative)) + '\n';
        }
        if (!info.infSeen)
          out += prefix + '+Inf"} ' + (om ? formatUint(s.count) : formatTextFloat(s.count)) + '\n';
      } else {
        out += prefix + '+Inf"} ' + (om ? formatUint(s.count) : formatTextFloat(s.count)) + '\n';
      }
      const block = labelBlock(s);
      out += sumName + block + ' ' + fmt(s.sum) + '\n';
      out += countName + block + ' ' + (om ? formatUint(s.count) : formatTextFloat(s.count)) + '\n';
    }
    return out;
  }
  if (f.type === 'counter' && om) {
    // OpenMetrics: the family is named without `_total`; every sample carries it.
    const familyName = f.name.endsWith('_total') ? f.name.slice(0, -6) : f.name;
    const sample = familyName + '_total';
    out = header(out, familyName, f.help, 'counter', true);
    for (const s of series) out += sample + labelBlock(s) + ' ' + fmt(s.value) + '\n';
    return out;
  }
  out = header(out, f.name, f.help, f.type, om);
  for (const s of series) out += f.name + labelBlock(s) + ' ' + fmt(s.value) + '\n';
  return out;
}

/** Renders families already sorted (and with sorted series), then the aggregator's own metrics. */
export function renderExposition(
  families: readonly Family[],
  format: ExpositionFormat,
  self: MergeStore | undefined,
): string {
  const om = format === 'openmetrics';
  let out = '';
  for (const f of families) out = renderFamily(out, f, om);
  if (self !== undefined) out = renderSelfMetrics(out, self, om);
  if (om) out += '# EOF\n';
  return out;
}

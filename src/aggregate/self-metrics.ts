/**
 * The aggregator's own metrics, written after the merged families:
 *
 * | name | type | labels | meaning |
 * |---|---|---|---|
 * | `litellm_otel_aggregator_requests_total` | counter | `encoding` (json, protobuf) | OTLP requests accepted |
 * | `litellm_otel_aggregator_rejected_requests_total` | counter | `reason` | OTLP requests refused whole (4xx) |
 * | `litellm_otel_aggregator_points_total` | counter | | data points merged |
 * | `litellm_otel_aggregator_dropped_points_total` | counter | `reason` | data points not merged |
 * | `litellm_otel_aggregator_unsupported_metrics_total` | counter | `type` | metrics of a type not merged |
 * | `litellm_otel_aggregator_expired_series_total` | counter | | series removed after the idle window |
 * | `litellm_otel_aggregator_series` | gauge | | merged series held |
 * | `litellm_otel_aggregator_writer_streams` | gauge | | cumulative writer streams tracked |
 * | `litellm_otel_aggregator_scrapes_total` | counter | | `/metrics` requests served |
 * | `litellm_otel_aggregator_unauthorized_scrapes_total` | counter | | `/metrics` requests refused (bearer token) |
 */
import { escapeLabelValue, formatOpenMetricsFloat, formatTextFloat } from './format.js';
import type { MergeStore } from './store.js';

const PREFIX = 'litellm_otel_aggregator_';

function family(
  out: string,
  om: boolean,
  base: string,
  type: 'counter' | 'gauge',
  help: string,
  samples: readonly (readonly [labels: string, value: number])[],
): string {
  const fmt = om ? formatOpenMetricsFloat : formatTextFloat;
  const counter = type === 'counter';
  const familyName = PREFIX + base;
  const exposed = counter && om ? familyName : counter ? familyName + '_total' : familyName;
  const sample = counter ? familyName + '_total' : familyName;
  out += `# HELP ${exposed} ${help}\n# TYPE ${exposed} ${type}\n`;
  for (const [labels, value] of samples) out += sample + labels + ' ' + fmt(value) + '\n';
  return out;
}

function byLabel(name: string, map: ReadonlyMap<string, number>): [string, number][] {
  return [...map.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => [`{${name}="${escapeLabelValue(k)}"}`, v]);
}

export function renderSelfMetrics(out: string, store: MergeStore, om: boolean): string {
  const st = store.stats;
  out = family(
    out,
    om,
    'dropped_points',
    'counter',
    'OTLP data points not merged, by reason.',
    byLabel('reason', st.droppedPoints),
  );
  out = family(out, om, 'expired_series', 'counter', 'Merged series removed after the idle window.', [
    ['', st.expiredSeries],
  ]);
  out = family(out, om, 'points', 'counter', 'OTLP data points merged.', [['', st.acceptedPoints]]);
  out = family(
    out,
    om,
    'rejected_requests',
    'counter',
    'OTLP requests refused whole, by reason.',
    byLabel('reason', st.rejectedRequests),
  );
  out = family(
    out,
    om,
    'requests',
    'counter',
    'OTLP export requests accepted, by body encoding.',
    byLabel('encoding', st.requests),
  );
  out = family(out, om, 'scrapes', 'counter', 'Scrapes of /metrics served.', [['', st.scrapes]]);
  out = family(out, om, 'series', 'gauge', 'Merged series held.', [['', store.size]]);
  out = family(
    out,
    om,
    'unauthorized_scrapes',
    'counter',
    'Scrapes of /metrics refused for a missing or wrong bearer token.',
    [['', st.unauthorizedScrapes]],
  );
  out = family(
    out,
    om,
    'unsupported_metrics',
    'counter',
    'OTLP metrics of a data type the aggregator does not merge.',
    byLabel('type', st.unsupportedMetrics),
  );
  out = family(
    out,
    om,
    'writer_streams',
    'gauge',
    'Cumulative writer streams tracked for delta conversion.',
    [['', store.writerStreams]],
  );
  return out;
}

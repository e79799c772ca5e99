// One "worker" process for collector probes: records a fixed metric set through the REAL OTel JS SDK
// (@opentelemetry/sdk-metrics + exporter-metrics-otlp-http, OTLP/JSON) and exports it, DELTA, to the
// URL it is given, in two rounds (two exports), then shuts down and prints what it recorded.
//
//   node --import tsx test/e2e/harness/probe-worker.ts --url <otlp /v1/metrics url> --worker <1|2|...>
//
// Every value depends only on the worker number, so N workers give known totals. The set covers
// what the collector's exposition must be checked for: `_total` counters (double and int), a
// histogram with LiteLLM's latency bounds and unit `s`, a dotted GenAI histogram with unit `{token}`,
// a gauge, an up-down counter exported CUMULATIVE (what the exporter's DELTA preference does) and one
// exported DELTA (a second MeterProvider whose exporter selects DELTA for everything), hostile label
// values, dotted attribute keys, non-string attribute values, a HELP text with a backslash and a
// newline, a metric without description, and tiny/huge/inexact floats.

import { parseArgs } from 'node:util';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type InstrumentType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  OTLPMetricExporter,
  AggregationTemporalityPreference,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ExportResult } from '@opentelemetry/core';
import {
  GUARDRAIL_LABELS,
  HOSTILE_SPEND_LABELS,
  LATENCY_BOUNDS,
  LATENCY_LABELS,
  LONG_VALUE_LABELS,
  PLAIN_SPEND_LABELS,
  PROBE_SERVICE_NAME,
  TOKEN_BOUNDS,
  TOKEN_LABELS,
  expectedFor,
} from './probe-metrics.js';

/** Wraps an exporter so every instrument, up-down counters included, is exported DELTA. */
function allDelta(inner: OTLPMetricExporter): PushMetricExporter {
  return {
    export: (metrics: ResourceMetrics, done: (result: ExportResult) => void) => inner.export(metrics, done),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: (_type: InstrumentType) => AggregationTemporality.DELTA,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, worker: { type: 'string' } },
  });
  if (values.url === undefined || values.worker === undefined) {
    throw new Error('usage: probe-worker.ts --url <otlp metrics url> --worker <n>');
  }
  const w = Number(values.worker);
  if (!Number.isInteger(w) || w < 1)
    throw new Error(`--worker must be a positive integer, got ${values.worker}`);

  const resource = resourceFromAttributes({
    'service.name': PROBE_SERVICE_NAME,
    'service.instance.id': `probe-host-${w}-pid${process.pid}`,
    'process.pid': process.pid,
  });
  // exportIntervalMillis is huge: exports happen only when forceFlush() says so, so the bodies are
  // exactly the two rounds below.
  const readerOptions = { exportIntervalMillis: 2 ** 31 - 1, exportTimeoutMillis: 10_000 };
  const main = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        ...readerOptions,
        exporter: new OTLPMetricExporter({
          url: values.url,
          temporalityPreference: AggregationTemporalityPreference.DELTA,
        }),
      }),
    ],
  });
  const deltaOnly = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        ...readerOptions,
        exporter: allDelta(new OTLPMetricExporter({ url: values.url })),
      }),
    ],
  });
  const meter = main.getMeter('litellm-otel-metrics', '0.1.0');
  const deltaMeter = deltaOnly.getMeter('litellm-otel-metrics', '0.1.0');

  const spend = meter.createCounter('litellm_spend_metric_total', {
    description: 'Total spend on LLM requests',
  });
  const guardrailErrors = meter.createCounter('litellm_guardrail_errors_total', {
    description: 'Total number of errors encountered during guardrail execution',
    valueType: 1, // ValueType.INT
  });
  const latency = meter.createHistogram('litellm_request_total_latency_metric', {
    description: 'Total latency (seconds) for a request to LiteLLM',
    unit: 's',
    advice: { explicitBucketBoundaries: LATENCY_BOUNDS },
  });
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Measures number of input and output tokens used',
    unit: '{token}',
    valueType: 1,
    advice: { explicitBucketBoundaries: TOKEN_BOUNDS },
  });
  const budget = meter.createGauge('litellm_remaining_team_budget_metric', {
    description: 'Remaining budget for team',
  });
  const inFlightCumulative = meter.createUpDownCounter('probe_in_flight_requests_cumulative', {
    description: 'UpDownCounter exported CUMULATIVE (the OTLP exporter DELTA preference keeps it so)',
  });
  const inFlightDelta = deltaMeter.createUpDownCounter('probe_in_flight_requests_delta', {
    description: 'UpDownCounter exported DELTA (temporality selector DELTA for all instruments)',
  });
  const helpEscaping = meter.createCounter('probe_help_escaping_total', {
    description: 'Help with a backslash \\ a newline \n and "double quotes"',
  });
  const noHelp = meter.createCounter('probe_no_description_total');
  const seconds = meter.createCounter('probe_unit_seconds_total', {
    description: 'Counter with unit s',
    unit: 's',
  });
  const typed = meter.createCounter('probe_typed_attributes_total', {
    description: 'Non-string attribute values',
  });
  const formats = meter.createCounter('probe_number_format_total', {
    description: 'Number formatting cases',
  });

  // Round 1.
  spend.add(0.1, PLAIN_SPEND_LABELS);
  spend.add(0.2, PLAIN_SPEND_LABELS);
  spend.add(1e-7, HOSTILE_SPEND_LABELS);
  spend.add(123456789.123, LONG_VALUE_LABELS);
  guardrailErrors.add(w, GUARDRAIL_LABELS);
  for (const v of [0.003, 0.007, 0.3, 1, 4.2]) latency.record(v * w, LATENCY_LABELS);
  tokens.record(100 * w, TOKEN_LABELS);
  tokens.record(2000, { ...TOKEN_LABELS, 'gen_ai.token.type': 'output' });
  budget.record(100 - w * 10, { team: 'team-1', team_alias: 'alpha' });
  inFlightCumulative.add(w + 1, { kind: 'cumulative' });
  inFlightDelta.add(w + 1, { kind: 'delta' });
  helpEscaping.add(1);
  noHelp.add(w);
  seconds.add(1.5 * w);
  typed.add(1, { int_attr: 200, double_attr: 1.5, bool_attr: true, 'dotted.key.name': 'x' });
  if (w === 1) {
    // Only worker 1, so these values reach the exposition unmerged: float formatting cases.
    spend.add(0.1, { ...PLAIN_SPEND_LABELS, model: 'float-check' });
    spend.add(0.2, { ...PLAIN_SPEND_LABELS, model: 'float-check' });
    formats.add(100000, { case: '100000' });
    formats.add(1234567, { case: '1234567' });
    formats.add(1e21, { case: '1e21' });
    formats.add(0.000123, { case: '0.000123' });
    budget.record(-2.5, { team: 'team-negative', team_alias: 'None' });
    // Series with fewer labels than their family's others, and label values whose order differs
    // between UTF-8 bytes (Go) and UTF-16 code units (JS): U+FF5A vs U+1F600.
    guardrailErrors.add(1, { guardrail_name: 'only-one-label' });
    typed.add(1);
    formats.add(1, { case: 'ｚ' });
    formats.add(1, { case: '😀' });
    // Name sanitizing: attribute keys and metric names with characters Prometheus does not allow,
    // and two keys that become the same label name.
    const labelNames = meter.createCounter('probe_label_names_total', {
      description: 'Attribute keys to sanitize',
    });
    labelNames.add(1, { 'a-b': '1', '0digit': '2', _leading: '3', ünïcode: '4', le: '5', instance: '6' });
    // These series cannot be exposed (reserved `__` prefix; a `job` key duplicates the job label):
    // the exporter logs an error and leaves out just that series.
    labelNames.add(1, { __double: 'reserved' });
    labelNames.add(1, { job: 'duplicate' });
    meter.createCounter('probe_label_collision_total', { description: 'a.b and a_b collide' }).add(1, {
      'a.b': 'dotted',
      a_b: 'underscored',
    });
    meter
      .createCounter('probe_label_double_dot_total', { description: 'Key with two dots' })
      .add(1, { 'x..y': '1' });
    meter.createCounter('probe.dotted-name/with:colon', { description: 'Metric name to sanitize' }).add(1);
    meter.createCounter('0probe_leading_digit', { description: 'Metric name starting with a digit' }).add(1);
  }
  await Promise.all([main.forceFlush(), deltaOnly.forceFlush()]);

  // Round 2: the next delta interval.
  spend.add(0.1, PLAIN_SPEND_LABELS);
  guardrailErrors.add(w * 2, GUARDRAIL_LABELS);
  for (const v of [0.05, 650, 600]) latency.record(v, LATENCY_LABELS);
  budget.record(50 + w, { team: 'team-1', team_alias: 'alpha' });
  inFlightCumulative.add(-1, { kind: 'cumulative' });
  inFlightDelta.add(-1, { kind: 'delta' });
  await Promise.all([main.forceFlush(), deltaOnly.forceFlush()]);

  await Promise.all([main.shutdown(), deltaOnly.shutdown()]);
  process.stdout.write(`${JSON.stringify({ worker: w, pid: process.pid, expected: expectedFor(w) })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `probe-worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

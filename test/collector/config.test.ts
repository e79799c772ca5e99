// The shipped otel-collector.yaml on the REAL collector binary (scripts/build-collector.sh).
// Without the binary every test here fails and says how to build it: nothing is skipped.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startCollector, type RunningCollector } from '../e2e/harness/collector.js';
import { repoRoot, requireCollectorBinary, shippedCollectorConfig } from '../e2e/harness/collector-binary.js';
import {
  ACCEPTS,
  captureExpositions,
  collectorFixtureDir,
  replay,
  runProbeWorker,
  telemetryValue,
  type RecordedRequest,
} from '../e2e/harness/exposition-capture.js';
import { GUARDRAIL_LABELS, PLAIN_SPEND_LABELS, expectedFor } from '../e2e/harness/probe-metrics.js';

const run = promisify(execFile);

const running: RunningCollector[] = [];

/** Every test asks for the binary itself, so without it each one FAILS with the build hint. */
function collectorBinary(): string {
  return requireCollectorBinary();
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function start(extraConfigs: string[] = []): Promise<RunningCollector> {
  const c = await startCollector({ binary: collectorBinary(), extraConfigs });
  running.push(c);
  return c;
}

/** The sample lines of one series name (`name{...} value` or `name value`). */
function samples(page: string, name: string): { labels: string; value: number }[] {
  const out: { labels: string; value: number }[] = [];
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const cut = line.lastIndexOf(' ');
    out.push({ labels: line.slice(name.length, cut), value: Number(line.slice(cut + 1)) });
  }
  return out;
}

/** Exposition label text for a label set, as the collector writes it (sorted names, job added). */
function labelText(labels: Record<string, string>): string {
  const all: Record<string, string> = { ...labels, job: 'litellm' };
  const body = Object.keys(all)
    .sort()
    .map((k) => `${k}="${all[k]}"`)
    .join(',');
  return `{${body}}`;
}

async function pollMetrics(
  c: RunningCollector,
  done: (page: string) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let page = '';
  while (Date.now() < deadline) {
    page = await (await fetch(c.metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
    if (done(page)) return page;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last /metrics:\n${page}`);
}

async function telemetry(c: RunningCollector): Promise<string> {
  return (await fetch(c.telemetryUrl, { signal: AbortSignal.timeout(5000) })).text();
}

const NS = 1_000_000_000n;

/** A hand-made OTLP/JSON body: one monotonic sum point from one worker. */
function sumBody(
  instance: string,
  name: string,
  temporality: 'delta' | 'cumulative',
  startNs: bigint,
  timeNs: bigint,
  value: number,
  scope: { name: string; version?: string } = { name: 'litellm-otel-metrics' },
): RecordedRequest {
  const body = {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'litellm' } },
            { key: 'service.instance.id', value: { stringValue: instance } },
          ],
        },
        scopeMetrics: [
          {
            scope,
            metrics: [
              {
                name,
                sum: {
                  aggregationTemporality: temporality === 'delta' ? 1 : 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: [{ key: 'model', value: { stringValue: 'gpt-4o' } }],
                      startTimeUnixNano: String(startNs),
                      timeUnixNano: String(timeNs),
                      asInt: String(value),
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  return { worker: 0, contentType: 'application/json', body: JSON.stringify(body) };
}

/**
 * Worker A with the right clock, worker B one hour behind; windows unaligned; interleaved arrival
 * with B's timestamps older than A's. Without restamping deltatocumulative drops B (ErrOlderStart).
 */
function skewedClockBodies(now: bigint): RecordedRequest[] {
  const name = 'skew_requests_total';
  return [
    sumBody('worker-a', name, 'delta', now, now + 1n * NS, 1),
    sumBody('worker-b', name, 'delta', now - 3600n * NS, now - 3599n * NS, 10),
    sumBody('worker-a', name, 'delta', now + 1n * NS, now + 2n * NS, 100),
    sumBody('worker-b', name, 'delta', now - 3599n * NS, now - 3598n * NS, 1000),
  ];
}

describe('otel-collector.yaml on the real collector', () => {
  test('the collector accepts the shipped config (otelcol validate exits 0)', async () => {
    const { stderr } = await run(collectorBinary(), ['validate', '--config', shippedCollectorConfig], {
      timeout: 30_000,
    });
    expect(stderr).not.toMatch(/error/i);
  });

  test('the binary holds exactly the components the config uses, all at deploy/collector/VERSION', async () => {
    const version = readFileSync(join(repoRoot, 'deploy', 'collector', 'VERSION'), 'utf8').trim();
    const config = parseYaml(readFileSync(shippedCollectorConfig, 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    const { stdout } = await run(collectorBinary(), ['components'], { timeout: 30_000 });
    const components = parseYaml(stdout) as Record<string, { name: string; module: string }[] | undefined> & {
      buildinfo: { version: string };
    };
    expect(components.buildinfo.version).toBe(version);
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
      const inBinary = (components[kind] ?? []).map((c) => c.name).sort();
      const inConfig = Object.keys(config[kind] ?? {}).sort();
      expect(inBinary, kind).toEqual(inConfig);
      for (const c of components[kind] ?? []) expect(c.module, c.name).toMatch(new RegExp(` v${version}$`));
    }
  });

  test('deltas from 2 real SDK worker processes are summed into one series per label set', async () => {
    const c = await start();
    await Promise.all([runProbeWorker(c.otlpMetricsUrl, 1), runProbeWorker(c.otlpMetricsUrl, 2)]);
    const want = { 1: expectedFor(1), 2: expectedFor(2) };
    const guardrailSeries = `litellm_guardrail_errors_total${labelText(GUARDRAIL_LABELS)}`;
    const deltaUdc = `probe_in_flight_requests_delta{job="litellm",kind="delta"}`;
    // Wait until the last body of each provider has gone through the batch (they may land in
    // different batches); a wrong sum shows up as a timeout that prints the page.
    const page = await pollMetrics(
      c,
      (p) =>
        p.includes(`${guardrailSeries} ${want[1].guardrailErrors + want[2].guardrailErrors}\n`) &&
        p.includes(`${deltaUdc} ${want[1].inFlightDelta + want[2].inFlightDelta}\n`),
      'the merged guardrail counter and delta up-down counter',
    );

    const guardrail = samples(page, 'litellm_guardrail_errors_total').filter(
      (s) => s.labels === labelText(GUARDRAIL_LABELS),
    );
    expect(guardrail).toEqual([{ labels: labelText(GUARDRAIL_LABELS), value: 9 }]);
    const spend = samples(page, 'litellm_spend_metric_total').filter(
      (s) => s.labels === labelText(PLAIN_SPEND_LABELS),
    );
    expect(spend).toHaveLength(1);
    expect(spend[0]?.value).toBeCloseTo(want[1].plainSpend + want[2].plainSpend, 12);
    const latencyCount = samples(page, 'litellm_request_total_latency_metric_count');
    expect(latencyCount.map((s) => s.value)).toEqual([want[1].latencyCount + want[2].latencyCount]);
    expect(samples(page, 'probe_in_flight_requests_delta').map((s) => s.value)).toEqual([
      want[1].inFlightDelta + want[2].inFlightDelta,
    ]);
    // The worker identity is gone: no instance label from service.instance.id (the workers' ids
    // start with probe-host-), no per-worker split, no target_info, no scope labels.
    expect(page).not.toMatch(/probe-host-|service_instance_id|process_pid|target_info|otel_scope_/);
    expect(await telemetry(c)).not.toMatch(/otelcol_deltatocumulative_datapoints\{[^}]*error=/);
  });

  test('a worker whose clock is 1 h behind, with unaligned windows, is still summed (restamp works)', async () => {
    const c = await start();
    const bodies = skewedClockBodies(BigInt(Date.now()) * 1_000_000n);
    await replay(c, bodies);
    const page = await pollMetrics(c, (p) => p.includes('skew_requests_total{'), 'skew_requests_total');
    expect(samples(page, 'skew_requests_total')).toEqual([
      { labels: '{job="litellm",model="gpt-4o"}', value: 1111 },
    ]);
    const tel = await telemetry(c);
    expect(tel).not.toMatch(/otelcol_deltatocumulative_datapoints\{[^}]*error=/);
    expect(telemetryValue(tel, 'otelcol_deltatocumulative_datapoints')).toBe(4);
  });

  test('negative control: without the restamp statements the same bodies lose the skewed worker', async () => {
    // Same pipeline, transform reduced to the resource statement only.
    const noRestamp = {
      processors: {
        transform: {
          metric_statements: [
            {
              context: 'resource',
              statements: ['keep_keys(resource.attributes, ["service.name", "service.namespace"])'],
            },
          ],
        },
      },
    };
    const c = await start([`yaml:${JSON.stringify(noRestamp)}`]);
    // 2 of the 4 points are dropped by deltatocumulative, so only 2 reach the exporter.
    await replay(c, skewedClockBodies(BigInt(Date.now()) * 1_000_000n), 2);
    const page = await pollMetrics(c, (p) => p.includes('skew_requests_total{'), 'skew_requests_total');
    expect(samples(page, 'skew_requests_total')).toEqual([
      { labels: '{job="litellm",model="gpt-4o"}', value: 101 },
    ]);
    expect(telemetryValue(await telemetry(c), 'otelcol_deltatocumulative_datapoints', 'error=')).toBe(2);
  });

  test('cumulative workers are turned into deltas and merged: new ones count fully, pre-existing ones from a baseline', async () => {
    const c = await start();
    const now = BigInt(Date.now()) * 1_000_000n;
    const name = 'mixed_requests_total';
    await replay(
      c,
      [
        // New cumulative worker (started after the collector): 5 then 8, so 8 in all.
        sumBody('cumulative-new', name, 'cumulative', now, now + 1n * NS, 5),
        // Worker already running before the collector started: 50 is a baseline, only +10 counts.
        sumBody('cumulative-old', name, 'cumulative', now - 7200n * NS, now + 1n * NS, 50),
        sumBody('cumulative-new', name, 'cumulative', now, now + 2n * NS, 8),
        sumBody('cumulative-old', name, 'cumulative', now - 7200n * NS, now + 2n * NS, 60),
        // A delta worker.
        sumBody('delta', name, 'delta', now, now + 1n * NS, 2),
        // The old worker's baseline point is not forwarded: 4 of 5 points reach the exporter.
      ],
      4,
    );
    const page = await pollMetrics(c, (p) => p.includes(`${name}{`), name);
    expect(samples(page, name)).toEqual([{ labels: '{job="litellm",model="gpt-4o"}', value: 8 + 10 + 2 }]);
  });

  test('workers whose meters differ in name or version (a rolling upgrade) merge into one series, none lost', async () => {
    const c = await start();
    const now = BigInt(Date.now()) * 1_000_000n;
    const name = 'upgrade_requests_total';
    await replay(c, [
      sumBody('old', name, 'delta', now, now + 1n * NS, 1, {
        name: 'litellm-otel-metrics',
        version: '0.1.0',
      }),
      sumBody('new', name, 'delta', now, now + 1n * NS, 2, {
        name: 'litellm-otel-metrics',
        version: '0.2.0',
      }),
      sumBody('other', name, 'delta', now, now + 1n * NS, 4, { name: 'another-meter' }),
    ]);
    const page = await pollMetrics(c, (p) => p.includes(`${name}{`), name);
    expect(samples(page, name)).toEqual([{ labels: '{job="litellm",model="gpt-4o"}', value: 7 }]);
    expect(c.output()).not.toMatch(/was collected before with the same name and label values/);
  });

  test('replaying the committed OTLP bodies reproduces the committed expositions byte for byte', async () => {
    const { requests } = JSON.parse(
      readFileSync(join(collectorFixtureDir, 'otlp-requests.json'), 'utf8'),
    ) as {
      requests: RecordedRequest[];
    };
    const c = await start();
    await replay(c, requests);
    const captures = await captureExpositions(c);
    expect(captures.map((x) => x.file)).toEqual(ACCEPTS.map((a) => a.file));
    for (const capture of captures) {
      expect(capture.body, capture.file).toBe(readFileSync(join(collectorFixtureDir, capture.file), 'utf8'));
    }
  });
});

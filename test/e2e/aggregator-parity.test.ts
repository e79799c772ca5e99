// The embedded aggregator and the real collector (shipped config) are interchangeable: the same
// workload gives the same series names, label sets and values.
// 1. Both sinks at once: 4 proxy workers export to an OTLP tee that forwards every request, byte for
//    byte and in the same order, to the collector and to the embedded aggregator (startAggregator with
//    the defaults the proxy's primary uses). The two expositions are then identical, apart from the
//    aggregator's own litellm_otel_aggregator_* families (the collector reports about itself on its
//    separate telemetry page instead).
// 2. The proxy run twice with the same seeded workload, once with its embedded aggregator (no endpoint
//    configured: the primary runs it, GET /metrics on the proxy) and once with the collector: the same
//    families with the same label names, and each run's totals equal its own client's tally.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/aggregate/index.js';
import type { FakeLlm } from '../../src/fake-llm/index.js';
import { startCollector, type RunningCollector } from './harness/collector.js';
import {
  deltaToCumulativeErrors,
  fetchExposition,
  parseExposition,
  scrape,
  scrapeUntil,
  seriesKey,
  total,
  type Sample,
} from '../support/exposition.js';
import { startOtlpTee, type OtlpTee } from './harness/otlp-tee.js';
import { startProxyCli, writeProxyConfig, type ProxyCli } from './harness/proxy-cli.js';
import { chat, pool, tally, type Tally } from './harness/workload.js';
import {
  PRICES,
  startWorkloadFakeLlm,
  workloadProxyConfig,
  workloadRequest,
} from './harness/workload-config.js';

const REQUESTS = 400;
const CONCURRENCY = 8;
const INTERVAL_MS = 700;
const AGGREGATOR_SELF = 'litellm_otel_aggregator_';

const cleanups: (() => Promise<unknown>)[] = [];
let collector: RunningCollector;

beforeAll(async () => {
  collector = await startCollector();
  cleanups.push(() => collector.stop());
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** Drops the aggregator's own families (HELP/TYPE and samples) from an exposition. */
function withoutAggregatorSelf(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith(AGGREGATOR_SELF) && !/^# (HELP|TYPE) litellm_otel_aggregator_/.test(l))
    .join('\n');
}

async function runLoad(proxyUrl: string): Promise<Tally> {
  const outcomes = await pool(REQUESTS, CONCURRENCY, (i) => chat(proxyUrl, i, workloadRequest(i)));
  return tally(outcomes, PRICES);
}

function expectClientTotals(s: Sample[], t: Tally): void {
  expect(total(s, 'litellm_proxy_total_requests_metric_total')).toBe(t.answered);
  expect(total(s, 'litellm_proxy_failed_requests_metric_total')).toBe(t.failed);
  expect(total(s, 'litellm_input_tokens_metric_total')).toBe(t.promptTokens);
  expect(total(s, 'litellm_output_tokens_metric_total')).toBe(t.completionTokens);
  expect(total(s, 'litellm_spend_metric_total')).toBeCloseTo(t.spend, 9);
}

/** family → sorted label names (without `le`), over every sample of the family. */
function labelNames(samples: Sample[]): Map<string, string> {
  const out = new Map<string, Set<string>>();
  for (const s of samples) {
    const fam = s.name.replace(/_(bucket|sum|count)$/, '');
    const set = out.get(fam) ?? new Set<string>();
    for (const k of Object.keys(s.labels)) if (k !== 'le') set.add(k);
    out.set(fam, set);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort().join(',')]));
}

describe('embedded aggregator vs the real collector', () => {
  it('fed the same OTLP requests in the same order, both expose identical series, labels and values', async () => {
    const fake: FakeLlm = await startWorkloadFakeLlm(66);
    cleanups.push(() => fake.close());
    const aggregator: Aggregator = await startAggregator({ otlpPort: 0, metricsPort: 0 });
    cleanups.push(() => aggregator.close());
    const tee: OtlpTee = await startOtlpTee([collector.otlpMetricsUrl, aggregator.otlpUrl]);
    cleanups.push(() => tee.close());
    const proxy: ProxyCli = await startProxyCli({
      configPath: writeProxyConfig(workloadProxyConfig(fake.url)),
      numWorkers: 4,
      env: { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: tee.url, OTEL_METRIC_EXPORT_INTERVAL: String(INTERVAL_MS) },
    });
    cleanups.push(() => proxy.stop());
    await proxy.waitForWorkers(4);

    const client = await runLoad(proxy.url);
    expect(client.connectionErrors).toBe(0);
    const done = (s: Sample[]) => total(s, 'litellm_proxy_total_requests_metric_total') >= client.answered;
    await scrapeUntil(collector.metricsUrl, done);
    await scrapeUntil(aggregator.metricsUrl, done);
    // Stop the workers (each flushes its last interval through the tee), so nothing arrives while
    // the two pages are read.
    await proxy.stop();
    // The collector answers an export once its batch processor holds the data, and exposes it up to
    // the batch timeout (200 ms) later; the aggregator merges before it answers.
    await new Promise((r) => setTimeout(r, 1000));
    const fromCollector = await fetchExposition(collector.metricsUrl);
    const fromAggregator = withoutAggregatorSelf(await fetchExposition(aggregator.metricsUrl));
    expect(tee.stats().refused).toBe(0);
    expect(tee.stats().forwarded).toBeGreaterThan(4);

    const c = parseExposition(fromCollector);
    const a = parseExposition(fromAggregator);
    expectClientTotals(c, client);
    expectClientTotals(a, client);
    // The same series (name + every label, job included) with the same values.
    const asMap = (s: Sample[]) => new Map(s.map((x) => [seriesKey(x), x.value]));
    const cm = asMap(c);
    const am = asMap(a);
    expect(cm.size).toBeGreaterThan(200);
    expect([...am.keys()].filter((k) => !cm.has(k))).toEqual([]);
    expect([...cm.keys()].filter((k) => !am.has(k))).toEqual([]);
    const differ = [...cm]
      .filter(([k, v]) => am.get(k) !== v)
      .map(([k, v]) => `${k}: collector ${v}, aggregator ${am.get(k)}`);
    expect(differ).toEqual([]);
    // Byte for byte, too (HELP, TYPE, order, number formatting).
    expect(fromAggregator).toBe(fromCollector);
    console.log(
      `[e2e parity] ${tee.stats().forwarded} OTLP requests teed; ${cm.size} samples, byte-identical pages ` +
        `(${fromCollector.length} bytes) apart from the aggregator's own families`,
    );
    expect(deltaToCumulativeErrors(await scrape(collector.telemetryUrl)).dropped).toBe(0);
  });

  it('the proxy run with its embedded aggregator and with the collector exposes the same families and label names', async () => {
    const runs: { samples: Sample[]; client: Tally }[] = [];
    for (const mode of ['aggregator', 'collector'] as const) {
      const fake = await startWorkloadFakeLlm(77);
      const proxy = await startProxyCli({
        configPath: writeProxyConfig(
          workloadProxyConfig(fake.url, {
            metricsExport:
              mode === 'aggregator' ? { aggregator_otlp_port: 0, aggregator_prometheus_port: 0 } : undefined,
          }),
        ),
        numWorkers: 4,
        env: {
          OTEL_METRIC_EXPORT_INTERVAL: String(INTERVAL_MS),
          ...(mode === 'collector' ? { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: collector.otlpMetricsUrl } : {}),
        },
      });
      try {
        await proxy.waitForWorkers(4);
        // The collector still holds the first test's series: count this run's requests on top of them.
        const metricsUrl = mode === 'aggregator' ? `${proxy.url}/metrics` : collector.metricsUrl;
        const base = mode === 'collector' ? await scrape(metricsUrl) : [];
        const client = await runLoad(proxy.url);
        expect(client.connectionErrors).toBe(0);
        const baseTotal = total(base, 'litellm_proxy_total_requests_metric_total');
        await scrapeUntil(
          metricsUrl,
          (s) => total(s, 'litellm_proxy_total_requests_metric_total') >= baseTotal + client.answered,
        );
        await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS + 300));
        const samples = await scrape(metricsUrl);
        expect(total(samples, 'litellm_proxy_total_requests_metric_total')).toBe(baseTotal + client.answered);
        if (mode === 'aggregator') expectClientTotals(samples, client);
        runs.push({ samples: samples.filter((s) => !s.name.startsWith(AGGREGATOR_SELF)), client });
      } finally {
        await proxy.stop();
        await fake.close();
      }
    }
    const [agg, col] = runs as [(typeof runs)[0], (typeof runs)[0]];
    const an = labelNames(agg.samples);
    const cn = labelNames(col.samples);
    expect([...an.keys()].sort()).toEqual([...cn.keys()].sort());
    for (const [fam, names] of an) expect({ fam, names: cn.get(fam) }).toEqual({ fam, names });
    expect(an.size).toBeGreaterThan(20);
  });
});

// The collector stopped for 30 s during the proxy's life and started again on the same ports, with
// 4 workers exporting deltas every 700 ms. While it is down the workers' exports fail (connection
// refused) and their retry queues keep the failed delta batches; once it is back they are delivered.
//
// What "exact" means across the one accepted reset (the collector's state is in memory):
//   - before the stop, the old collector exposes exactly what the client got answered in phase 1;
//   - after the restart, every series starts again from zero, and the new collector exposes exactly
//     what was recorded after the old one's last accepted export: phase 2 (recorded while it was
//     down, delivered from the queues) + phase 3 (after the restart);
//   - so old final + new = everything the client got answered: nothing lost, nothing counted twice.
// Phase 1 ends with the old collector already holding every point (checked), so no export is in
// flight when it stops: with load running through the stop, a batch the old collector accepted
// after the last scrape would be counted there and could not be observed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeLlm } from '../../src/fake-llm/index.js';
import { startCollector, type RunningCollector } from './harness/collector.js';
import { startCollectorOnPortsOf } from './harness/collector-restart.js';
import {
  deltaToCumulativeErrors,
  MonotonicTracker,
  scrape,
  scrapeUntil,
  seriesKey,
  total,
  type Sample,
} from '../support/exposition.js';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.js';
import { startProxyCli, writeProxyConfig, type ProxyCli } from './harness/proxy-cli.js';
import { chat, pool, tally, type Tally } from './harness/workload.js';
import {
  PRICES,
  startWorkloadFakeLlm,
  workloadProxyConfig,
  workloadRequest,
} from './harness/workload-config.js';

const PHASE = 200;
const CONCURRENCY = 8;
const INTERVAL_MS = 700;
const DOWN_MS = 30_000;

let fake: FakeLlm;
let first: RunningCollector;
let second: RunningCollector | undefined;
let prom: RunningPrometheus;
let promStartedAt = 0;
let proxy: ProxyCli;

beforeAll(async () => {
  fake = await startWorkloadFakeLlm(30, 0.2);
  first = await startCollector();
  promStartedAt = Date.now();
  prom = await startPrometheus({
    targets: [{ job: 'litellm-otel', url: first.metricsUrl, honorLabels: true }],
  });
  proxy = await startProxyCli({
    configPath: writeProxyConfig(workloadProxyConfig(fake.url)),
    numWorkers: 4,
    env: {
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: first.otlpMetricsUrl,
      OTEL_METRIC_EXPORT_INTERVAL: String(INTERVAL_MS),
    },
  });
  await proxy.waitForWorkers(4);
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await prom?.stop();
  await second?.stop();
  await first?.stop();
  await fake?.close();
});

function load(offset: number): Promise<Tally> {
  return pool(PHASE, CONCURRENCY, (i) => chat(proxy.url, offset + i, workloadRequest(offset + i))).then((o) =>
    tally(o, PRICES),
  );
}

function expectTotals(s: Sample[], want: Tally): void {
  expect(total(s, 'litellm_proxy_total_requests_metric_total')).toBe(want.answered);
  expect(total(s, 'litellm_proxy_total_requests_metric_total', { status_code: '200' })).toBe(want.ok);
  expect(total(s, 'litellm_proxy_failed_requests_metric_total')).toBe(want.failed);
  for (const [status, n] of want.failedByStatus) {
    expect(total(s, 'litellm_proxy_failed_requests_metric_total', { exception_status: String(status) })).toBe(
      n,
    );
  }
  expect(total(s, 'litellm_input_tokens_metric_total')).toBe(want.promptTokens);
  expect(total(s, 'litellm_output_tokens_metric_total')).toBe(want.completionTokens);
  expect(total(s, 'litellm_total_tokens_metric_total')).toBe(want.totalTokens);
  expect(total(s, 'litellm_spend_metric_total')).toBeCloseTo(want.spend, 9);
  expect(total(s, 'litellm_request_total_latency_metric_count')).toBe(want.ok);
}

function sum(a: Tally, b: Tally): Tally {
  const failedByStatus = new Map(a.failedByStatus);
  for (const [k, v] of b.failedByStatus) failedByStatus.set(k, (failedByStatus.get(k) ?? 0) + v);
  return {
    sent: a.sent + b.sent,
    answered: a.answered + b.answered,
    ok: a.ok + b.ok,
    failed: a.failed + b.failed,
    connectionErrors: a.connectionErrors + b.connectionErrors,
    failedByStatus,
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    spend: a.spend + b.spend,
    streamedOk: a.streamedOk + b.streamedOk,
  };
}

describe('the collector stopped for 30 s and started again on the same ports', () => {
  it('delivers the queued deltas after the restart: old final = phase 1, new = phase 2 + phase 3, exactly', async () => {
    // Phase 1: the old collector gets everything.
    const p1 = await load(0);
    expect(p1.connectionErrors).toBe(0);
    await scrapeUntil(
      first.metricsUrl,
      (s) => total(s, 'litellm_proxy_total_requests_metric_total') >= p1.answered,
    );
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS + 300));
    const oldFinal = await scrape(first.metricsUrl);
    expectTotals(oldFinal, p1);
    expect(deltaToCumulativeErrors(await scrape(first.telemetryUrl)).dropped).toBe(0);
    await new Promise((r) => setTimeout(r, 1500)); // Prometheus scrapes the final state

    // Down for 30 s; phase 2 runs while it is down.
    const stoppedAt = Date.now();
    await first.stop();
    await expect(fetch(first.metricsUrl, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    const p2 = await load(PHASE);
    expect(p2.connectionErrors).toBe(0); // the proxy serves on without its collector
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + DOWN_MS - Date.now())));

    // Restart on the same ports; phase 3.
    second = await startCollectorOnPortsOf(first);
    const downForMs = Date.now() - stoppedAt;
    const tracker = new MonotonicTracker();
    const p3 = await load(2 * PHASE);
    expect(p3.connectionErrors).toBe(0);
    const want = sum(p2, p3);
    const deadline = Date.now() + 60_000;
    let next = await scrape(second.metricsUrl);
    while (
      total(next, 'litellm_proxy_total_requests_metric_total') < want.answered &&
      Date.now() < deadline
    ) {
      tracker.observe(next);
      await new Promise((r) => setTimeout(r, 250));
      next = await scrape(second.metricsUrl);
    }
    const arrivedAfterMs = Date.now() - stoppedAt - downForMs;
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS + 300));
    const newFinal = await scrape(second.metricsUrl);
    tracker.observe(newFinal);
    console.log(
      `[e2e collector restart] down ${downForMs} ms; phase 1/2/3 answered ${p1.answered}/${p2.answered}/${p3.answered}; ` +
        `old final ${total(oldFinal, 'litellm_proxy_total_requests_metric_total')}, new ` +
        `${total(newFinal, 'litellm_proxy_total_requests_metric_total')} (all queued data in within ${arrivedAfterMs} ms of the restart)`,
    );
    expectTotals(newFinal, want);
    expect(tracker.violations).toEqual([]);
    // The workers' own export metrics arrived through the same queue: the failed attempts while the
    // collector was down were retryable, and no point was dropped.
    expect(
      total(newFinal, 'litellm_otel_export_requests_total', { result: 'failure', reason: 'retryable' }),
    ).toBeGreaterThan(0);
    expect(total(newFinal, 'litellm_otel_export_points_dropped_total')).toBe(0);
    expect(deltaToCumulativeErrors(await scrape(second.telemetryUrl))).toEqual({ dropped: 0, errors: [] });

    // Prometheus, scraping the same address throughout: never more than the one accepted reset per series.
    await new Promise((r) => setTimeout(r, 1500));
    const now = Date.now() / 1000;
    const rangeS = Math.ceil(now - stoppedAt / 1000) + 60;
    const names = await prom.query(
      `count by (__name__) ({__name__=~"litellm_.+(_total|_bucket|_count|_sum)"})`,
      now,
    );
    expect(names.length).toBeGreaterThan(20);
    let seriesWithReset = 0;
    let series = 0;
    const tooMany: string[] = [];
    for (const n of names) {
      const r = await prom.query(`resets(${n.metric.__name__!}[${rangeS}s])`, now);
      for (const x of r) {
        series++;
        const k = Number(x.value[1]);
        if (k > 0) seriesWithReset++;
        if (k > 1) tooMany.push(`${n.metric.__name__!}${JSON.stringify(x.metric)}=${k}`);
      }
    }
    expect(tooMany).toEqual([]);
    const promNow = await prom.query('sum(litellm_proxy_total_requests_metric_total)', now);
    expect(Number(promNow[0]?.value[1])).toBe(want.answered);
    // Series that existed before the stop and were not lower at the end: Prometheus may see no reset there.
    const counterMap = (x: Sample[]) =>
      new Map(x.filter((v) => /_(total|bucket|count|sum)$/.test(v.name)).map((v) => [seriesKey(v), v.value]));
    const before = counterMap(oldFinal);
    const afterMap = counterMap(newFinal);
    const both = [...before.keys()].filter((k) => afterMap.has(k));
    const notLower = both.filter((k) => afterMap.get(k)! >= before.get(k)!).length;
    const runS = Math.ceil(now - promStartedAt / 1000);
    const inc = await prom.query(`sum(increase(litellm_proxy_total_requests_metric_total[${runS}s]))`, now);
    console.log(
      `[e2e collector restart] Prometheus: ${seriesWithReset} of ${series} counter series show the restart as a reset; ` +
        `${notLower} of the ${both.length} series present before and after the restart were not lower after it; ` +
        `sum(increase(litellm_proxy_total_requests_metric_total[${runS}s])) = ${Number(inc[0]?.value[1]).toFixed(1)} ` +
        `while ${p1.answered + want.answered} requests were answered in that time`,
    );
  });
});

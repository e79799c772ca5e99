// The real pipeline end to end: the fake LLM, the proxy CLI with 4 node:cluster workers exporting
// OTLP deltas (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_METRIC_EXPORT_INTERVAL=700 for every worker;
// the workers' windows are unaligned by their different start times), the natively built collector
// with the shipped otel-collector.yaml, and Debian's Prometheus scraping the collector every second.
// Proves: (1) no merged counter/bucket ever decreases or vanishes during the load, and afterwards the
// totals equal exactly what the client sent and received and what the fake LLM answered; (4) the
// collector's deltatocumulative never drops a point; (5) in Prometheus, resets() is 0 for every
// counter series over the whole run, and every query of the shipped Grafana dashboard returns data.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeLlm } from '../../src/fake-llm/index.js';
import { repoRoot } from './harness/collector-binary.js';
import { startCollector, type RunningCollector } from './harness/collector.js';
import {
  deltaToCumulativeErrors,
  MonotonicTracker,
  scrape,
  scrapeUntil,
  total,
  type Sample,
} from '../support/exposition.js';
import { startPrometheus, type RunningPrometheus } from './harness/prometheus.js';
import { startProxyCli, writeProxyConfig, type ProxyCli } from './harness/proxy-cli.js';
import { chat, pool, tally, type ChatOutcome, type Tally } from './harness/workload.js';
import {
  PRICES,
  startWorkloadFakeLlm,
  workloadProxyConfig,
  workloadRequest,
} from './harness/workload-config.js';

const REQUESTS = 500;
const CONCURRENCY = 8;
const INTERVAL_MS = 700;

let fake: FakeLlm;
let collector: RunningCollector;
let prom: RunningPrometheus;
let proxy: ProxyCli;
let promStartedAt = 0;
// Filled by the first test, read by the second.
let outcomes: ChatOutcome[] = [];
let client: Tally;
let loadEndedAt = 0;

beforeAll(async () => {
  fake = await startWorkloadFakeLlm(4242);
  collector = await startCollector();
  promStartedAt = Date.now();
  prom = await startPrometheus({
    targets: [
      { job: 'litellm-otel', url: collector.metricsUrl, honorLabels: true },
      { job: 'otel-collector-self', url: collector.telemetryUrl },
    ],
  });
  proxy = await startProxyCli({
    configPath: writeProxyConfig(workloadProxyConfig(fake.url)),
    numWorkers: 4,
    env: {
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: collector.otlpMetricsUrl,
      OTEL_METRIC_EXPORT_INTERVAL: String(INTERVAL_MS),
    },
  });
  await proxy.waitForWorkers(4);
  await prom.waitForTargetsUp();
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await prom?.stop();
  await collector?.stop();
  await fake?.close();
});

function sumWhere(
  samples: Sample[],
  name: string,
  pred: (labels: Record<string, string>) => boolean,
): number {
  return samples.filter((s) => s.name === name && pred(s.labels)).reduce((a, s) => a + s.value, 0);
}

function upstreamFailures(s: ReturnType<FakeLlm['stats']>): number {
  return Object.entries(s.byStatus)
    .filter(([status]) => status !== '200')
    .reduce((a, [, n]) => a + n, 0);
}

describe('4 proxy workers → the real collector (shipped config) → Prometheus', () => {
  it('no merged counter or bucket decreases during the load; afterwards every total is exact', async () => {
    expect(proxy.output()).toContain(`exported over OTLP to the collector at ${collector.otlpMetricsUrl}`);
    const tracker = new MonotonicTracker();
    const d2cErrors: string[] = [];
    let loadDone = false;
    let scrapesDuringLoad = 0;
    const watching = (async () => {
      let n = 0;
      while (!loadDone) {
        tracker.observe(await scrape(collector.metricsUrl));
        if (++n % 10 === 0)
          d2cErrors.push(...deltaToCumulativeErrors(await scrape(collector.telemetryUrl)).errors);
        await new Promise((r) => setTimeout(r, 100));
      }
      scrapesDuringLoad = n;
    })();
    const started = Date.now();
    outcomes = await pool(REQUESTS, CONCURRENCY, (i) => chat(proxy.url, i, workloadRequest(i)));
    loadEndedAt = Date.now();
    loadDone = true;
    await watching;
    client = tally(outcomes, PRICES);
    console.log(
      `[e2e exact] ${REQUESTS} requests in ${loadEndedAt - started} ms: ${client.ok} ok, ${client.failed} failed ` +
        `(${[...client.failedByStatus].map(([s, n]) => `${s}:${n}`).join(' ')}), ${scrapesDuringLoad} scrapes during the load`,
    );

    // The client's view: every request answered, the fault injection works.
    expect(client.connectionErrors).toBe(0);
    expect(client.answered).toBe(REQUESTS);
    // The upstream's injected failures (~20 %) among the gpt-4o requests that reached it; the others
    // found both deployments cooling down.
    const gpt = outcomes.filter((o) => o.model === 'gpt-4o');
    const gptNoDeployment = gpt.filter((o) => /No deployments available/.test(o.error ?? '')).length;
    const gptUpstreamFailed = gpt.filter((o) => o.status !== 200).length - gptNoDeployment;
    expect(gptUpstreamFailed).toBeGreaterThan((gpt.length - gptNoDeployment) * 0.1);
    expect(gptUpstreamFailed).toBeLessThan((gpt.length - gptNoDeployment) * 0.35);
    expect(outcomes.filter((o) => o.model === 'primary').every((o) => o.status === 200)).toBe(true);
    expect(outcomes.filter((o) => o.model === 'doomed').every((o) => o.status !== 200)).toBe(true);
    expect(scrapesDuringLoad).toBeGreaterThan(10);

    // After the load: the totals reach the client's, then stay there for one more interval.
    await scrapeUntil(
      collector.metricsUrl,
      (s) => total(s, 'litellm_proxy_total_requests_metric_total') >= REQUESTS,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS + 300));
    const after: Sample[] = await scrape(collector.metricsUrl);
    tracker.observe(after);
    expect(tracker.violations).toEqual([]);
    expect(tracker.seriesSeen).toBeGreaterThan(100);

    const up = fake.stats();
    expect(total(after, 'litellm_proxy_total_requests_metric_total')).toBe(REQUESTS);
    expect(total(after, 'litellm_proxy_total_requests_metric_total', { status_code: '200' })).toBe(client.ok);
    expect(total(after, 'litellm_proxy_failed_requests_metric_total')).toBe(client.failed);
    for (const [status, n] of client.failedByStatus) {
      expect(
        total(after, 'litellm_proxy_failed_requests_metric_total', { exception_status: String(status) }),
      ).toBe(n);
    }
    expect(total(after, 'litellm_requests_metric_total')).toBe(client.ok);
    expect(total(after, 'litellm_input_tokens_metric_total')).toBe(client.promptTokens);
    expect(total(after, 'litellm_output_tokens_metric_total')).toBe(client.completionTokens);
    expect(total(after, 'litellm_total_tokens_metric_total')).toBe(client.totalTokens);
    expect(total(after, 'litellm_spend_metric_total')).toBeCloseTo(client.spend, 9);
    expect(total(after, 'litellm_llm_api_time_to_first_token_metric_count')).toBe(client.streamedOk);
    expect(total(after, 'litellm_request_total_latency_metric_count')).toBe(client.ok);
    // The upstream's side: every request it got, answered or failed, per deployment.
    expect(up.promptTokens).toBe(client.promptTokens);
    expect(up.completionTokens).toBe(client.completionTokens);
    // Per deployment (model_id set): exactly what the upstream answered. Picks that found every
    // deployment of a group cooling down ("No deployments available") count as failures with an empty
    // model_id, as in LiteLLM; those the client saw are a lower bound (a fallback hides the others).
    const withDeployment = (name: string) => sumWhere(after, name, (l) => (l.model_id ?? '') !== '');
    const noDeployment = (name: string) => sumWhere(after, name, (l) => (l.model_id ?? '') === '');
    expect(withDeployment('litellm_deployment_total_requests_total')).toBe(up.chatCompletions);
    expect(withDeployment('litellm_deployment_success_responses_total')).toBe(up.byStatus['200'] ?? 0);
    expect(withDeployment('litellm_deployment_failure_responses_total')).toBe(upstreamFailures(up));
    const sawNoDeployment = outcomes.filter((o) => /No deployments available/.test(o.error ?? '')).length;
    const picksFailed = noDeployment('litellm_deployment_failure_responses_total');
    expect(picksFailed).toBeGreaterThanOrEqual(sawNoDeployment);
    // LiteLLM increments the LLM-failure counter and the deployment-failure counter together.
    expect(total(after, 'litellm_llm_api_failed_requests_metric_total')).toBe(
      upstreamFailures(up) + picksFailed,
    );
    console.log(
      `[e2e exact] upstream: ${up.chatCompletions} calls, ${upstreamFailures(up)} failed; ` +
        `no-deployment picks: ${picksFailed} (client saw ${sawNoDeployment})`,
    );
    // Fallbacks: every `primary` request was rescued; every `doomed` one failed in its fallback too.
    const primary = outcomes.filter((o) => o.model === 'primary').length;
    const doomed = outcomes.filter((o) => o.model === 'doomed').length;
    expect(
      total(after, 'litellm_deployment_successful_fallbacks_total', { requested_model: 'primary' }),
    ).toBe(primary);
    expect(total(after, 'litellm_deployment_failed_fallbacks_total', { requested_model: 'doomed' })).toBe(
      doomed,
    );
    // Identity labels from the virtual keys.
    expect(
      total(after, 'litellm_proxy_total_requests_metric_total', {
        team: 'team-a',
        api_key_alias: 'team-a-key',
      }),
    ).toBe(REQUESTS / 2);

    // (4) deltatocumulative dropped nothing, during the load or after it.
    const telemetry = await scrape(collector.telemetryUrl);
    expect(d2cErrors).toEqual([]);
    expect(deltaToCumulativeErrors(telemetry)).toEqual({ dropped: 0, errors: [] });
    expect(telemetry.some((s) => s.name.startsWith('otelcol_deltatocumulative_datapoints'))).toBe(true);
  });

  it('Prometheus saw no counter reset over the run, and every query of the shipped dashboard returns data', async () => {
    expect(loadEndedAt).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2500)); // two more scrapes of the final state
    const now = Date.now() / 1000;
    const rangeS = Math.ceil(now - promStartedAt / 1000) + 5;

    const counters = `{__name__=~"litellm_.+(_total|_bucket|_count|_sum)",job="litellm-proxy"}`;
    const present = await prom.query(`count(last_over_time(${counters}[${rangeS}s]))`, now);
    expect(Number(present[0]?.value[1] ?? 0)).toBeGreaterThan(100);
    // resets() drops the metric name, so one query per family.
    const names = await prom.query(`count by (__name__) (last_over_time(${counters}[${rangeS}s]))`, now);
    expect(names.length).toBeGreaterThan(20);
    const reset: string[] = [];
    for (const n of names) {
      const name = n.metric.__name__!;
      const r = await prom.query(`resets(${name}{job="litellm-proxy"}[${rangeS}s]) > 0`, now);
      for (const x of r) reset.push(`${name}${JSON.stringify(x.metric)}=${x.value[1]}`);
    }
    expect(reset).toEqual([]);
    // Prometheus's view of the exact totals.
    const promTotal = await prom.query('sum(litellm_proxy_total_requests_metric_total)', now);
    expect(Number(promTotal[0]?.value[1])).toBe(REQUESTS);
    const promFailed = await prom.query('sum(litellm_proxy_failed_requests_metric_total)', now);
    expect(Number(promFailed[0]?.value[1])).toBe(client.failed);
    // (4) in Prometheus too: no deltatocumulative drop at any scrape.
    const drops = await prom.query(
      `max_over_time(otelcol_deltatocumulative_datapoints{error!=""}[${rangeS}s]) > 0`,
      now,
    );
    expect(drops).toEqual([]);

    // (5) The shipped dashboard: every target's expression returns at least one series.
    const dashboard = JSON.parse(
      readFileSync(join(repoRoot, 'deploy/grafana/dashboards/litellm.json'), 'utf8'),
    ) as { panels: Panel[] };
    const exprs = dashboardExpressions(dashboard.panels);
    expect(exprs.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const { title, expr } of exprs) {
      const q = expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', `${rangeS}s`);
      expect(q).not.toMatch(/\$/);
      const r = await prom.query(q, now);
      if (r.length === 0) empty.push(`${title}: ${q}`);
    }
    expect(empty).toEqual([]);
  });
});

interface Panel {
  title?: string;
  panels?: Panel[];
  targets?: { expr?: string }[];
}

function dashboardExpressions(panels: Panel[]): { title: string; expr: string }[] {
  const out: { title: string; expr: string }[] = [];
  for (const p of panels) {
    if (p.panels) out.push(...dashboardExpressions(p.panels));
    for (const t of p.targets ?? []) if (t.expr) out.push({ title: p.title ?? '', expr: t.expr });
  }
  return out;
}

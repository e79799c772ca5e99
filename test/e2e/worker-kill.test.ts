// kill -9 of one proxy worker in the middle of the load, with the real collector (shipped config):
// the primary respawns it; no merged counter or bucket decreases (the dead worker's delivered deltas
// stay in the collector's sums); nothing is counted twice; the loss is at most what the killed worker
// recorded after its last delivered export (docs/export.md: SIGKILL loses ≤ one interval), bounded here
// by every request the client saw completed in the export interval before the kill; after the respawn,
// the totals are exact again. The loss is measured and printed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeLlm } from '../../src/fake-llm/index.js';
import { startCollector, type RunningCollector } from './harness/collector.js';
import {
  deltaToCumulativeErrors,
  MonotonicTracker,
  scrape,
  total,
  type Sample,
} from '../support/exposition.js';
import { startProxyCli, writeProxyConfig, type ProxyCli } from './harness/proxy-cli.js';
import { chat, pool, tally, type ChatOutcome } from './harness/workload.js';
import {
  PRICES,
  startWorkloadFakeLlm,
  workloadProxyConfig,
  workloadRequest,
} from './harness/workload-config.js';

const REQUESTS = 600;
const KILL_AFTER = 250;
const AFTER_RESPAWN = 100;
const CONCURRENCY = 8;
const INTERVAL_MS = 1000;

let fake: FakeLlm;
let collector: RunningCollector;
let proxy: ProxyCli;

beforeAll(async () => {
  fake = await startWorkloadFakeLlm(9, 0.2);
  collector = await startCollector();
  proxy = await startProxyCli({
    configPath: writeProxyConfig(workloadProxyConfig(fake.url)),
    numWorkers: 4,
    env: {
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: collector.otlpMetricsUrl,
      OTEL_METRIC_EXPORT_INTERVAL: String(INTERVAL_MS),
    },
  });
  await proxy.waitForWorkers(4);
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await collector?.stop();
  await fake?.close();
});

/** Scrapes until the total stops moving for two export intervals; returns the last scrape. */
async function settled(name: string, timeoutMs = 30_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let prev = await scrape(collector.metricsUrl);
  for (;;) {
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS + 200));
    const next = await scrape(collector.metricsUrl);
    if (total(next, name) === total(prev, name) || Date.now() > deadline) return next;
    prev = next;
  }
}

describe('kill -9 of one of 4 workers during the load', () => {
  it('no counter decreases, nothing is counted twice, the loss stays within one export interval of the dead worker, exact after the respawn', async () => {
    const tracker = new MonotonicTracker();
    const d2cErrors: string[] = [];
    let loadDone = false;
    const watching = (async () => {
      let n = 0;
      while (!loadDone) {
        tracker.observe(await scrape(collector.metricsUrl));
        if (++n % 10 === 0)
          d2cErrors.push(...deltaToCumulativeErrors(await scrape(collector.telemetryUrl)).errors);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    let completed = 0;
    let killed: { pid: number; at: number } | undefined;
    const before = proxy.workerPids();
    expect(before).toHaveLength(4);
    const outcomes: ChatOutcome[] = await pool(REQUESTS, CONCURRENCY, async (i) => {
      const o = await chat(proxy.url, i, workloadRequest(i));
      if (++completed === KILL_AFTER) {
        const pid = before[2]!;
        process.kill(pid, 'SIGKILL');
        killed = { pid, at: Date.now() };
      }
      return o;
    });
    expect(killed).toBeDefined();
    const { pid: killedPid, at: killedAt } = killed!;
    const respawned = await proxy.waitForWorkers(4, [killedPid]);
    expect(respawned.filter((p) => !before.includes(p))).toHaveLength(1);
    expect(proxy.output()).toMatch(new RegExp(`pid ${killedPid}\\) exited \\(SIGKILL\\); restarting`));

    const phase1 = await settled('litellm_proxy_total_requests_metric_total');
    const client = tally(outcomes, PRICES);
    const exposed = {
      requests: total(phase1, 'litellm_proxy_total_requests_metric_total'),
      failed: total(phase1, 'litellm_proxy_failed_requests_metric_total'),
      promptTokens: total(phase1, 'litellm_input_tokens_metric_total'),
      completionTokens: total(phase1, 'litellm_output_tokens_metric_total'),
      spend: total(phase1, 'litellm_spend_metric_total'),
    };
    const loss = {
      requests: client.answered - exposed.requests,
      failed: client.failed - exposed.failed,
      promptTokens: client.promptTokens - exposed.promptTokens,
      completionTokens: client.completionTokens - exposed.completionTokens,
      spend: client.spend - exposed.spend,
    };
    // The bound: the dead worker lost what it recorded after its last delivered collection, at most one
    // export interval. Which worker answered a request is not visible to the client, so the bound is
    // every request ANY worker completed in the interval before the kill (plus 200 ms for a response
    // already written when the kill came): an upper bound of the dead worker's share of it.
    const oneInterval = outcomes.filter(
      (o) => o.status !== 0 && o.doneAt > killedAt - INTERVAL_MS && o.doneAt <= killedAt + 200,
    ).length;
    console.log(
      `[e2e kill -9] worker pid ${killedPid} killed after ${KILL_AFTER} of ${REQUESTS} requests; ` +
        `${client.connectionErrors} requests got no answer (in flight on it, or sent on its dead keep-alive sockets); ` +
        `lost: ${loss.requests} requests (${loss.failed} of them failed ones), ${loss.promptTokens} prompt + ` +
        `${loss.completionTokens} completion tokens, ${loss.spend.toExponential(3)} USD; ` +
        `all workers completed ${oneInterval} requests in the ${INTERVAL_MS} ms before the kill (the bound)`,
    );

    // No double counting, ever: the merged totals never exceed what the client saw answered.
    expect(loss.requests).toBeGreaterThanOrEqual(0);
    expect(loss.failed).toBeGreaterThanOrEqual(0);
    expect(loss.promptTokens).toBeGreaterThanOrEqual(0);
    expect(loss.completionTokens).toBeGreaterThanOrEqual(0);
    expect(loss.spend).toBeGreaterThan(-1e-9);
    // The loss is bounded by one interval of the dead worker.
    expect(loss.requests).toBeLessThanOrEqual(oneInterval);
    expect(client.connectionErrors).toBeLessThanOrEqual(CONCURRENCY * 2);

    // After the respawn: a further load is counted exactly (the new worker exports like the others).
    const extra = await pool(AFTER_RESPAWN, CONCURRENCY, (i) =>
      chat(proxy.url, REQUESTS + i, workloadRequest(i)),
    );
    const extraTally = tally(extra, PRICES);
    expect(extraTally.connectionErrors).toBe(0);
    const want = exposed.requests + AFTER_RESPAWN;
    const deadline = Date.now() + 30_000;
    let phase2 = await scrape(collector.metricsUrl);
    while (total(phase2, 'litellm_proxy_total_requests_metric_total') < want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      phase2 = await scrape(collector.metricsUrl);
    }
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS + 200));
    phase2 = await scrape(collector.metricsUrl);
    loadDone = true;
    await watching;
    tracker.observe(phase2);
    expect(total(phase2, 'litellm_proxy_total_requests_metric_total')).toBe(want);
    expect(total(phase2, 'litellm_proxy_failed_requests_metric_total')).toBe(
      exposed.failed + extraTally.failed,
    );
    expect(total(phase2, 'litellm_input_tokens_metric_total')).toBe(
      exposed.promptTokens + extraTally.promptTokens,
    );
    expect(total(phase2, 'litellm_output_tokens_metric_total')).toBe(
      exposed.completionTokens + extraTally.completionTokens,
    );
    expect(total(phase2, 'litellm_spend_metric_total')).toBeCloseTo(exposed.spend + extraTally.spend, 9);

    // No decrease or vanishing series across the kill and the respawn; no deltatocumulative drop.
    expect(tracker.violations).toEqual([]);
    expect(d2cErrors).toEqual([]);
    expect(deltaToCumulativeErrors(await scrape(collector.telemetryUrl))).toEqual({ dropped: 0, errors: [] });
  });
});

// LiteLLM issue #10595 reproduced against the reference proxy and shown gone: 4 node:cluster workers,
// about 20% upstream failures, 100 scrapes of the proxy's /metrics during the load. In LiteLLM each
// worker has its own counters and a scrape lands on a random worker, so totals jump up and down. Here
// every scrape reads the embedded aggregator's merged view: no counter ever decreases, and after the
// load and one export interval the totals equal what the client sent and received.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import {
  chat,
  pool,
  scrape,
  scrapeUntil,
  seriesKey,
  startProxyProcess,
  testExport,
  total,
  writeConfig,
  type ChatResult,
  type ProxyProcess,
  type Sample,
} from './support/harness.js';

const REQUESTS = 400;
const SCRAPES = 100;
const IN_PRICE = 0.0000025;
const OUT_PRICE = 0.00001;
const KEY = 'sk-team-a';

let fake: FakeLlm;
let proxy: ProxyProcess;

beforeAll(async () => {
  fake = await startFakeLlm({
    seed: 10595,
    failureRate: 0.2,
    failureStatuses: [429, 500, 503],
    latencyMs: { min: 5, max: 40 },
    streamChunks: 4,
  });
  const deployment = (id: string) => ({
    model_name: 'gpt-4o',
    litellm_params: {
      model: 'openai/gpt-4o',
      api_base: fake.url,
      input_cost_per_token: IN_PRICE,
      output_cost_per_token: OUT_PRICE,
    },
    model_info: { id },
  });
  const config = writeConfig({
    model_list: [deployment('east'), deployment('west')],
    // No cooldown and no retries: every upstream failure is answered to the client as is.
    router_settings: { allowed_fails: 1_000_000, num_retries: 0 },
    litellm_settings: { metrics_export: testExport(500) },
    general_settings: {
      master_key: 'sk-master',
      virtual_keys: [{ key: KEY, key_alias: 'a', team_id: 'team-a', user_id: 'alice', max_budget: 1000 }],
    },
  });
  proxy = await startProxyProcess(config, 4);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await fake?.close();
});

function counterSamples(samples: Sample[]): Sample[] {
  return samples.filter(
    (s) =>
      s.name.startsWith('litellm_') &&
      (s.name.endsWith('_total') ||
        s.name.endsWith('_bucket') ||
        s.name.endsWith('_count') ||
        s.name.endsWith('_sum')),
  );
}

describe('issue #10595 with 4 workers behind the embedded aggregator', () => {
  it('no counter decreases across 100 scrapes during the load, and the totals equal what the client saw', async () => {
    let loadDone = false;
    const scrapes: Sample[][] = [];
    const scraping = (async () => {
      while (scrapes.length < SCRAPES) {
        scrapes.push(counterSamples(await scrape(proxy.url)));
        if (!loadDone) await new Promise((r) => setTimeout(r, 15));
      }
    })();
    let scrapesDuringLoad = 0;
    const results: ChatResult[] = await pool(REQUESTS, 8, (i) =>
      chat(proxy.url, KEY, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `request ${i} `.repeat(1 + (i % 5)) }],
        max_tokens: 4 + (i % 7),
        ...(i % 4 === 0 ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
    );
    loadDone = true;
    scrapesDuringLoad = scrapes.length;
    await scraping;

    // The client's view.
    const ok = results.filter((r) => r.status === 200);
    const failed = results.filter((r) => r.status !== 200);
    expect(ok.length + failed.length).toBe(REQUESTS);
    expect(failed.length).toBeGreaterThan(REQUESTS * 0.1); // the fault injection is working
    expect(failed.length).toBeLessThan(REQUESTS * 0.3);
    for (const f of failed) {
      expect([429, 500, 503]).toContain(f.status);
      expect(f.body).toMatchObject({ error: { message: expect.any(String), code: String(f.status) } });
    }
    let prompt = 0;
    let completion = 0;
    let tokens = 0;
    let spend = 0;
    for (const r of ok) {
      expect(r.usage).toBeDefined();
      prompt += r.usage!.prompt_tokens;
      completion += r.usage!.completion_tokens;
      tokens += r.usage!.total_tokens;
      spend += r.usage!.prompt_tokens * IN_PRICE + r.usage!.completion_tokens * OUT_PRICE;
    }

    // Monotonic: every counter series, once seen, never decreases and never vanishes.
    expect(scrapes.length).toBe(SCRAPES);
    expect(scrapesDuringLoad).toBeGreaterThan(10);
    const last = new Map<string, number>();
    let decreases = 0;
    let vanished = 0;
    for (const sc of scrapes) {
      const seen = new Set<string>();
      for (const s of sc) {
        const k = seriesKey(s);
        seen.add(k);
        const prev = last.get(k);
        if (prev !== undefined && s.value < prev) decreases++;
        last.set(k, s.value);
      }
      for (const k of last.keys()) if (!seen.has(k)) vanished++;
    }
    expect(decreases).toBe(0);
    expect(vanished).toBe(0);

    // After the load and one export interval: exact totals.
    const final = await scrapeUntil(
      proxy.url,
      (s) => total(s, 'litellm_proxy_total_requests_metric_total') >= REQUESTS,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1200)); // one more interval: nothing left in flight
    const after = await scrape(proxy.url);
    expect(total(after, 'litellm_proxy_total_requests_metric_total')).toBe(REQUESTS);
    expect(total(final, 'litellm_proxy_total_requests_metric_total')).toBe(REQUESTS);
    expect(total(after, 'litellm_proxy_total_requests_metric_total', { status_code: '200' })).toBe(ok.length);
    expect(total(after, 'litellm_proxy_failed_requests_metric_total')).toBe(failed.length);
    expect(total(after, 'litellm_llm_api_failed_requests_metric_total')).toBe(failed.length);
    expect(total(after, 'litellm_requests_metric_total')).toBe(ok.length);
    expect(total(after, 'litellm_input_tokens_metric_total')).toBe(prompt);
    expect(total(after, 'litellm_output_tokens_metric_total')).toBe(completion);
    expect(total(after, 'litellm_total_tokens_metric_total')).toBe(tokens);
    expect(total(after, 'litellm_spend_metric_total')).toBeCloseTo(spend, 9);
    for (const status of ['429', '500', '503']) {
      expect(total(after, 'litellm_proxy_failed_requests_metric_total', { exception_status: status })).toBe(
        failed.filter((f) => String(f.status) === status).length,
      );
    }
    // Streaming: one time-to-first-token observation per streamed request that succeeded.
    const streamedOk = results.filter((r, i) => i % 4 === 0 && r.status === 200).length;
    expect(total(after, 'litellm_llm_api_time_to_first_token_metric_count')).toBe(streamedOk);
    // Labels carry the virtual key's identity, hashed.
    expect(
      total(after, 'litellm_proxy_total_requests_metric_total', {
        team: 'team-a',
        api_key_alias: 'a',
        user: 'alice',
      }),
    ).toBe(REQUESTS);
    // Spend is shared between workers: after a sync period, whichever worker answers the next request
    // knows the cluster's total, so the key's remaining-budget gauge is the budget minus all spend.
    await new Promise((r) => setTimeout(r, 800));
    let extra: ChatResult | undefined;
    let tries = 0;
    while (extra === undefined && tries < 10) {
      tries++;
      const r = await chat(proxy.url, KEY, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'one more' }],
      });
      if (r.status === 200) extra = r;
    }
    expect(extra).toBeDefined();
    const spentAll =
      spend + extra!.usage!.prompt_tokens * IN_PRICE + extra!.usage!.completion_tokens * OUT_PRICE;
    const budget = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_proxy_total_requests_metric_total') >= REQUESTS + tries,
    );
    expect(total(budget, 'litellm_remaining_api_key_budget_metric', { api_key_alias: 'a' })).toBeCloseTo(
      1000 - spentAll,
      9,
    );
    expect(total(budget, 'litellm_api_key_max_budget_metric', { api_key_alias: 'a' })).toBe(1000);

    // Requests in flight summed over the live workers: back to zero, or the one scrape being served.
    const inFlight = total(after, 'litellm_in_flight_requests');
    expect(inFlight).toBeGreaterThanOrEqual(0);
    expect(inFlight).toBeLessThanOrEqual(1);
  }, 90_000);
});

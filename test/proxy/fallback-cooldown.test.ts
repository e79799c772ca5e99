// Router fallbacks and cooldown against the real fake upstream, read from the proxy's /metrics: the
// fallback families (successful and failed), the cooldown counter and the deployment-state gauge.
// One worker (router state is per process, as in LiteLLM without Redis), so the sequence is exact; this
// also runs the single-process mode (worker and embedded aggregator in one process). The first proxy sets
// allowed_fails (LiteLLM's count rule); the second leaves it unset (LiteLLM's failure-rate rule: a 429
// cools a deployment down at once when its group has another, never the only one of a group).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import {
  chat,
  scrapeUntil,
  startProxyProcess,
  testExport,
  total,
  writeConfig,
  type ProxyProcess,
} from './support/harness.js';

let fake: FakeLlm;
let proxy: ProxyProcess;
const KEY = 'sk-master';
const COOLDOWN_S = 3;

/** A model_list entry for a deployment of the fake upstream. */
const dep = (name: string, model: string, id: string) => ({
  model_name: name,
  litellm_params: { model: `openai/${model}`, api_base: fake.url },
  model_info: { id },
});

beforeAll(async () => {
  fake = await startFakeLlm({
    seed: 1,
    failModels: { 'broken-model': 500, 'other-broken': 503, throttled: 429 },
  });
  const config = writeConfig({
    model_list: [
      dep('primary', 'broken-model', 'broken'),
      dep('backup', 'good-model', 'backup-1'),
      dep('doomed', 'broken-model', 'doomed-1'),
      dep('also-broken', 'other-broken', 'also-broken-1'),
    ],
    router_settings: {
      routing_strategy: 'round-robin',
      fallbacks: [{ primary: ['backup'] }, { doomed: ['also-broken'] }],
      allowed_fails: 2,
      cooldown_time: COOLDOWN_S,
    },
    litellm_settings: { metrics_export: testExport(300) },
    general_settings: { master_key: KEY },
  });
  proxy = await startProxyProcess(config, 1);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await fake?.close();
});

const ask = (model: string) => chat(proxy.url, KEY, { model, messages: [{ role: 'user', content: 'hi' }] });

describe('fallbacks and cooldown', () => {
  it('falls back on every failure, cools the deployment down after allowed_fails, and reports it', async () => {
    // 3 upstream failures of "broken": each falls back to "backup"; the third (> allowed_fails 2) cools it down.
    for (let i = 0; i < 3; i++) expect((await ask('primary')).status).toBe(200);
    const health = (await (await fetch(`${proxy.url}/health`)).json()) as { unhealthy_endpoints: string[] };
    expect(health.unhealthy_endpoints).toEqual(['broken']);
    // While cooling down "primary" has no deployment: LiteLLM's "No deployments available", then the fallback.
    for (let i = 0; i < 2; i++) expect((await ask('primary')).status).toBe(200);

    const s = await scrapeUntil(proxy.url, (x) => total(x, 'litellm_proxy_total_requests_metric_total') >= 5);
    expect(total(s, 'litellm_proxy_total_requests_metric_total', { status_code: '200' })).toBe(5);
    expect(total(s, 'litellm_proxy_failed_requests_metric_total')).toBe(0);
    expect(
      total(s, 'litellm_deployment_successful_fallbacks_total', {
        requested_model: 'primary',
        fallback_model: 'backup',
      }),
    ).toBe(5);
    expect(
      total(s, 'litellm_deployment_successful_fallbacks_total', {
        exception_status: '500',
        exception_class: 'Openai.InternalServerError',
      }),
    ).toBe(3);
    expect(
      total(s, 'litellm_deployment_cooled_down_total', { model_id: 'broken', exception_status: '500' }),
    ).toBe(1);
    expect(total(s, 'litellm_deployment_cooled_down_total')).toBe(1);
    expect(total(s, 'litellm_deployment_state', { model_id: 'broken' })).toBe(2); // complete outage
    expect(total(s, 'litellm_deployment_state', { model_id: 'backup-1' })).toBe(0);
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'broken' })).toBe(3);
    expect(total(s, 'litellm_deployment_failure_responses_total', { model_id: 'broken' })).toBe(3);
    expect(total(s, 'litellm_deployment_success_responses_total', { model_id: 'backup-1' })).toBe(5);
    // The two picks that found no deployment: LLM failures without a deployment.
    expect(
      total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'None', model: 'None' }),
    ).toBe(2);
    expect(total(s, 'litellm_deployment_failure_responses_total', { model_id: '' })).toBe(2);
    // A non-streaming success through a fallback: LiteLLM's post-call hook labels the proxy-level
    // total with the model the client asked for; the LLM-level families with the group that answered.
    expect(total(s, 'litellm_proxy_total_requests_metric_total', { requested_model: 'primary' })).toBe(5);
    expect(total(s, 'litellm_proxy_total_requests_metric_total', { requested_model: 'backup' })).toBe(0);
    expect(total(s, 'litellm_deployment_success_responses_total', { requested_model: 'backup' })).toBe(5);
  }, 60_000);

  it('tries the deployment again after cooldown_time (partial outage on its next failure)', async () => {
    await new Promise((r) => setTimeout(r, COOLDOWN_S * 1000 + 300));
    // streamed this time: LiteLLM counts a streaming success from its logging event, by the model
    // group that answered
    const streamed = await chat(proxy.url, KEY, {
      model: 'primary',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    expect(streamed.status).toBe(200);
    const s = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'broken' }) >= 4,
    );
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'broken' })).toBe(4);
    expect(total(s, 'litellm_deployment_state', { model_id: 'broken' })).toBe(1);
    expect(total(s, 'litellm_deployment_cooled_down_total')).toBe(1);
    const all = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_proxy_total_requests_metric_total') >= 6,
    );
    expect(total(all, 'litellm_proxy_total_requests_metric_total', { requested_model: 'backup' })).toBe(1);
    expect(total(all, 'litellm_proxy_total_requests_metric_total', { requested_model: 'primary' })).toBe(5);
  }, 30_000);

  it('answers the last error when the fallback fails too, and counts a failed fallback', async () => {
    const r = await ask('doomed');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ error: { code: '503', message: expect.any(String) } });
    const s = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_proxy_failed_requests_metric_total') >= 1,
    );
    expect(
      total(s, 'litellm_deployment_failed_fallbacks_total', {
        requested_model: 'doomed',
        fallback_model: 'also-broken',
      }),
    ).toBe(1);
    expect(
      total(s, 'litellm_proxy_failed_requests_metric_total', {
        requested_model: 'doomed',
        exception_status: '503',
      }),
    ).toBe(1);
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'doomed-1' })).toBe(1);
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'also-broken-1' })).toBe(1);
  }, 30_000);
});

describe('cooldown with allowed_fails unset (failure-rate rule)', () => {
  let rateProxy: ProxyProcess;
  beforeAll(async () => {
    const config = writeConfig({
      model_list: [
        dep('limited', 'throttled', 'limited-throttled'),
        dep('limited', 'good-model', 'limited-good'),
        dep('solo', 'throttled', 'solo-throttled'),
      ],
      router_settings: { routing_strategy: 'round-robin', num_retries: 1, cooldown_time: 60 },
      litellm_settings: { metrics_export: testExport(300) },
      general_settings: { master_key: KEY },
    });
    rateProxy = await startProxyProcess(config, 1);
  }, 60_000);
  afterAll(async () => {
    await rateProxy?.stop();
  });

  it('cools a deployment down on its first 429 when the group has another, and never the only one', async () => {
    const askRate = (model: string) =>
      chat(rateProxy.url, KEY, { model, messages: [{ role: 'user', content: 'hi' }] });
    // round-robin picks "limited-throttled" first: 429, cooled down at once, the retry answers
    for (let i = 0; i < 4; i++) expect((await askRate('limited')).status).toBe(200);
    // the only deployment of "solo": every request fails with 429, and it stays in the rotation
    for (let i = 0; i < 3; i++) expect((await askRate('solo')).status).toBe(429);
    const health = (await (await fetch(`${rateProxy.url}/health`)).json()) as {
      unhealthy_endpoints: string[];
    };
    expect(health.unhealthy_endpoints).toEqual(['limited-throttled']);

    const s = await scrapeUntil(
      rateProxy.url,
      (x) => total(x, 'litellm_proxy_total_requests_metric_total') >= 7,
    );
    expect(
      total(s, 'litellm_deployment_cooled_down_total', {
        model_id: 'limited-throttled',
        exception_status: '429',
      }),
    ).toBe(1);
    expect(total(s, 'litellm_deployment_cooled_down_total')).toBe(1);
    expect(total(s, 'litellm_deployment_state', { model_id: 'limited-throttled' })).toBe(2);
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'limited-throttled' })).toBe(
      1,
    );
    expect(total(s, 'litellm_deployment_success_responses_total', { model_id: 'limited-good' })).toBe(4);
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'solo-throttled' })).toBe(3);
    expect(total(s, 'litellm_deployment_state', { model_id: 'solo-throttled' })).toBe(1); // partial outage
    expect(total(s, 'litellm_proxy_failed_requests_metric_total', { requested_model: 'solo' })).toBe(3);
  }, 60_000);
});

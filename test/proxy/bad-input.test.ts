// Bad input against the proxy with 2 workers: malformed JSON, unknown model, missing or invalid key, an
// upstream that does not answer in time, a key used past its budget. Each gets OpenAI's error body with
// the right status, is counted as LiteLLM counts it (invalid-key failures are not counted), and the
// proxy keeps serving.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import {
  chat,
  scrape,
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
const BUDGET_KEY = 'sk-tiny-budget';

beforeAll(async () => {
  fake = await startFakeLlm({ seed: 3, modelOverrides: { 'slow-model': { latencyMs: 8000 } }, hangMs: 8000 });
  const config = writeConfig({
    model_list: [
      {
        model_name: 'gpt-4o',
        litellm_params: {
          model: 'openai/gpt-4o',
          api_base: fake.url,
          input_cost_per_token: 0.001,
          output_cost_per_token: 0.001,
        },
      },
      { model_name: 'slow', litellm_params: { model: 'openai/slow-model', api_base: fake.url, timeout: 1 } },
      { model_name: 'embed', litellm_params: { model: 'openai/text-embedding-3-small', api_base: fake.url } },
    ],
    litellm_settings: { metrics_export: testExport(300) },
    general_settings: {
      master_key: KEY,
      virtual_keys: [{ key: BUDGET_KEY, key_alias: 'tiny', max_budget: 0.000001 }],
    },
  });
  proxy = await startProxyProcess(config, 2);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await fake?.close();
});

async function post(body: string, headers: Record<string, string>) {
  const res = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: (await res.json()) as { error?: Record<string, unknown> } };
}

const auth = { authorization: `Bearer ${KEY}` };
const msg = [{ role: 'user', content: 'hi' }];

function expectOpenAiError(body: { error?: Record<string, unknown> }, status: number): void {
  expect(body.error).toMatchObject({
    message: expect.any(String),
    type: expect.any(String),
    code: String(status),
  });
  expect(body.error).toHaveProperty('param');
}

describe('bad input', () => {
  it('answers each bad request with an OpenAI error and counts it as LiteLLM does', async () => {
    const malformed = await post('{"model": "gpt-4o", "messages": [', auth);
    expect(malformed.status).toBe(400);
    expectOpenAiError(malformed.body, 400);

    const unknown = await post(JSON.stringify({ model: 'no-such-model', messages: msg }), auth);
    expect(unknown.status).toBe(400);
    expectOpenAiError(unknown.body, 400);
    expect(String(unknown.body.error!.message)).toContain('no-such-model');

    const noKey = await post(JSON.stringify({ model: 'gpt-4o', messages: msg }), {});
    expect(noKey.status).toBe(401);
    expectOpenAiError(noKey.body, 401);
    const badKey = await post(JSON.stringify({ model: 'gpt-4o', messages: msg }), {
      authorization: 'Bearer sk-wrong',
    });
    expect(badKey.status).toBe(401);
    expectOpenAiError(badKey.body, 401);

    const started = Date.now();
    const timeout = await post(JSON.stringify({ model: 'slow', messages: msg }), auth);
    expect(timeout.status).toBe(408);
    expectOpenAiError(timeout.body, 408);
    expect(Date.now() - started).toBeLessThan(6000); // the deployment's timeout (1 s), not the upstream's 8 s

    // The budget key: the first request spends past max_budget, the next is refused (400, counted).
    expect((await chat(proxy.url, BUDGET_KEY, { model: 'gpt-4o', messages: msg })).status).toBe(200);
    // Spend reaches the other worker through the primary; retry until the refusal is seen (bounded).
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    let budgetOk = 1;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      await new Promise((r) => setTimeout(r, 200)); // spend is synced between workers every 250 ms
      const r = await post(JSON.stringify({ model: 'gpt-4o', messages: msg }), {
        authorization: `Bearer ${BUDGET_KEY}`,
      });
      if (r.status === 200) budgetOk++;
      else refused = r;
    }
    expect(refused?.status).toBe(400);
    expect(refused!.body.error!.type).toBe('budget_exceeded');

    // Still serving.
    const ok = await chat(proxy.url, KEY, { model: 'gpt-4o', messages: msg });
    expect(ok.status).toBe(200);
    const emb = await fetch(`${proxy.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ model: 'embed', input: ['a b c', 'd e'] }),
    });
    expect(emb.status).toBe(200);
    const models = (await (await fetch(`${proxy.url}/v1/models`, { headers: auth })).json()) as {
      data: { id: string }[];
    };
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o', 'slow', 'embed']);
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);

    // Counted: malformed (400), unknown model (400), timeout (408), budget (400); not the two 401s.
    const successes = 1 + budgetOk + 1; // budget key's successes + the master key's chat + embeddings
    const expectedTotal = 4 + successes;
    const s = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_proxy_total_requests_metric_total') >= expectedTotal,
    );
    await new Promise((r) => setTimeout(r, 700));
    const after = await scrape(proxy.url);
    expect(total(after, 'litellm_proxy_total_requests_metric_total')).toBe(expectedTotal);
    expect(total(s, 'litellm_proxy_failed_requests_metric_total')).toBe(4);
    expect(total(after, 'litellm_proxy_failed_requests_metric_total', { exception_status: '400' })).toBe(3);
    expect(total(after, 'litellm_proxy_failed_requests_metric_total', { exception_status: '401' })).toBe(0);
    expect(
      total(after, 'litellm_proxy_failed_requests_metric_total', {
        exception_status: '400',
        requested_model: 'no-such-model',
      }),
    ).toBe(1);
    expect(
      total(after, 'litellm_proxy_failed_requests_metric_total', {
        exception_status: '408',
        exception_class: 'Openai.Timeout',
        requested_model: 'slow',
      }),
    ).toBe(1);
    expect(total(after, 'litellm_proxy_failed_requests_metric_total', { api_key_alias: 'tiny' })).toBe(1);
    // Only the timeout reached an upstream and failed there.
    expect(total(after, 'litellm_llm_api_failed_requests_metric_total')).toBe(1);
    // The embeddings call counted its tokens.
    expect(
      total(after, 'litellm_input_tokens_metric_total', { model: 'text-embedding-3-small' }),
    ).toBeGreaterThan(0);
    // Budget gauges of the tiny key: max 0.000001, remaining below zero after the spend.
    expect(total(after, 'litellm_api_key_max_budget_metric', { api_key_alias: 'tiny' })).toBe(0.000001);
    expect(total(after, 'litellm_remaining_api_key_budget_metric', { api_key_alias: 'tiny' })).toBeLessThan(
      0,
    );
  }, 80_000);
});

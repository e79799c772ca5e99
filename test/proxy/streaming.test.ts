// Streaming through the proxy (2 workers): SSE relayed chunk by chunk, usage asked from the upstream on
// every stream and passed on only to clients that asked for it, the time to first token measured at the
// first streamed chunk: the histogram's count equals the streamed requests. Requests with `n` > 1 and
// with tools pass through unchanged, and their tokens are counted as the upstream reported them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import {
  chat,
  pool,
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
const STREAMED = 30;
const PLAIN = 10;
const FIRST_CHUNK_MS = 150;

beforeAll(async () => {
  fake = await startFakeLlm({
    seed: 5,
    promptTokens: 7,
    completionTokens: 5,
    streamChunks: 5,
    firstChunkDelayMs: { min: FIRST_CHUNK_MS, max: FIRST_CHUNK_MS + 50 },
    streamChunkDelayMs: 5,
    modelOverrides: { 'stall-model': { streamChunkDelayMs: 5000, firstChunkDelayMs: 0 } },
  });
  const config = writeConfig({
    model_list: [
      { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: fake.url } },
      // Streams its first chunk at once, then stalls longer than the deployment's timeout.
      {
        model_name: 'stall',
        litellm_params: { model: 'openai/stall-model', api_base: fake.url, timeout: 1 },
      },
    ],
    litellm_settings: { metrics_export: testExport(300) },
    general_settings: { master_key: KEY },
  });
  proxy = await startProxyProcess(config, 2);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await fake?.close();
});

describe('streaming', () => {
  it('relays SSE, passes usage only when asked, and counts one time-to-first-token per streamed request', async () => {
    const results = await pool(STREAMED + PLAIN, 6, (i) => {
      const stream = i < STREAMED;
      const askUsage = stream && i % 2 === 0;
      return chat(proxy.url, KEY, {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'tell me' }],
        ...(stream ? { stream: true } : {}),
        ...(askUsage ? { stream_options: { include_usage: true } } : {}),
      });
    });
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(200);
      if (i >= STREAMED) continue;
      expect(String(r.body)).toContain('data: [DONE]');
      if (i % 2 === 0) {
        expect(r.usage).toEqual(
          expect.objectContaining({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 }),
        );
        expect(r.chunks).toBeGreaterThan(1);
      } else {
        expect(r.usage).toBeUndefined(); // the usage-only chunk the proxy asked for is not forwarded
      }
    }

    const s = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_proxy_total_requests_metric_total') >= STREAMED + PLAIN,
    );
    await new Promise((r) => setTimeout(r, 700));
    const after = await scrape(proxy.url);
    expect(total(s, 'litellm_proxy_total_requests_metric_total')).toBe(STREAMED + PLAIN);
    expect(total(after, 'litellm_llm_api_time_to_first_token_metric_count')).toBe(STREAMED);
    // Measured at the first chunk: at least the upstream's first-chunk delay each.
    expect(total(after, 'litellm_llm_api_time_to_first_token_metric_sum')).toBeGreaterThanOrEqual(
      (STREAMED * FIRST_CHUNK_MS) / 1000 - 0.01,
    );
    expect(total(after, 'litellm_llm_api_time_to_first_token_metric_bucket', { le: '0.1' })).toBe(0);
    expect(total(after, 'litellm_request_total_latency_metric_count')).toBe(STREAMED + PLAIN);
    // Usage is read from every stream, also when the client did not ask for it.
    expect(total(after, 'litellm_total_tokens_metric_total')).toBe((STREAMED + PLAIN) * 12);
    expect(total(after, 'litellm_output_tokens_metric_total')).toBe((STREAMED + PLAIN) * 5);
  }, 60_000);

  it('cuts off a stream that stalls past the timeout: an SSE error event, counted as a 408 Timeout', async () => {
    const started = Date.now();
    const res = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'stall', messages: [{ role: 'user', content: 'x' }], stream: true }),
      signal: AbortSignal.timeout(20_000),
    });
    expect(res.status).toBe(200); // headers went out with the first chunk
    const text = await res.text();
    expect(Date.now() - started).toBeLessThan(4500);
    expect(text).toContain('"code":"408"');
    const s = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_proxy_failed_requests_metric_total') >= 1,
    );
    expect(
      total(s, 'litellm_proxy_failed_requests_metric_total', {
        requested_model: 'stall',
        exception_status: '408',
        exception_class: 'Openai.Timeout',
      }),
    ).toBe(1);
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model: 'stall-model' })).toBe(1);
    // Not a success: no time-to-first-token observation for it.
    expect(total(s, 'litellm_llm_api_time_to_first_token_metric_count')).toBe(STREAMED);
  }, 30_000);

  it('relays n > 1 choices and tool calls, streamed and not; tokens counted as the upstream reported them', async () => {
    const before = await scrape(proxy.url);
    const statsBefore = fake.stats();
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const bodies: Record<string, unknown>[] = [
      ...Array.from({ length: 3 }, () => ({ n: 3, stream: true, stream_options: { include_usage: true } })),
      { n: 2 },
      { tools, stream: true, stream_options: { include_usage: true } },
      { tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } },
    ];
    const results = await Promise.all(
      bodies.map((b) =>
        chat(proxy.url, KEY, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...b }),
      ),
    );
    let completion = 0;
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(200);
      expect(r.usage).toBeDefined();
      completion += r.usage!.completion_tokens;
      if (i < 3) {
        // every choice streamed to its finish
        for (let c = 0; c < 3; c++) expect(String(r.body)).toContain(`"index":${c}`);
        expect(r.usage!.completion_tokens).toBe(3 * 5);
      }
    }
    expect((results[3]!.body as { choices: unknown[] }).choices).toHaveLength(2);
    expect(String(results[4]!.body)).toContain('"finish_reason":"tool_calls"');
    const toolBody = results[5]!.body as {
      choices: { finish_reason: string; message: { tool_calls: { function: { name: string } }[] } }[];
    };
    expect(toolBody.choices[0]!.finish_reason).toBe('tool_calls');
    expect(toolBody.choices[0]!.message.tool_calls[0]!.function.name).toBe('get_weather');

    const upstreamCompletion = fake.stats().completionTokens - statsBefore.completionTokens;
    expect(upstreamCompletion).toBe(completion);
    const target = total(before, 'litellm_output_tokens_metric_total') + completion;
    const after = await scrapeUntil(
      proxy.url,
      (x) => total(x, 'litellm_output_tokens_metric_total') >= target,
    );
    expect(total(after, 'litellm_output_tokens_metric_total')).toBe(target);
    expect(total(after, 'litellm_proxy_total_requests_metric_total')).toBe(
      total(before, 'litellm_proxy_total_requests_metric_total') + bodies.length,
    );
  }, 30_000);
});

// stats() and GET /__stats count exactly what the server answered: requests, statuses, tokens in usage.

import { describe, expect, it } from 'vitest';
import { startFakeLlm } from '../../src/fake-llm/index.js';
import { chatBody, get, post } from './support/http.js';

describe('stats', () => {
  it('counts every API request, each answer by status and model, and the tokens of the usage objects sent', async () => {
    const llm = await startFakeLlm({ failModels: { 'bad-model': 503 }, promptTokens: 5 });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await post(`${llm.url}/chat/completions`, chatBody('good', { max_tokens: 4 }))).status).toBe(
          200,
        );
      }
      // a stream with usage counts its tokens; one without usage counts none (none were sent)
      await post(
        `${llm.url}/chat/completions`,
        chatBody('good', { max_tokens: 6, stream: true, stream_options: { include_usage: true } }),
      );
      await post(`${llm.url}/chat/completions`, chatBody('good', { max_tokens: 100, stream: true }));
      expect((await post(`${llm.url}/chat/completions`, chatBody('bad-model'))).status).toBe(503);
      expect((await post(`${llm.url}/chat/completions`, chatBody('bad-model'))).status).toBe(503);
      expect((await post(`${llm.url}/embeddings`, { model: 'emb', input: 'abcd' })).status).toBe(200);
      expect((await post(`${llm.url}/embeddings`, '[[[')).status).toBe(400);
      await get(`${llm.url}/models`);

      const expected = {
        requests: 9,
        chatCompletions: 7,
        streams: 2,
        embeddings: 2,
        byStatus: { '200': 6, '400': 1, '503': 2 },
        timeouts: 0,
        drops: 0,
        aborted: 0,
        // 3 x (5 + 4) + (5 + 6) + embeddings 5 (fixed promptTokens applies to embeddings too)
        promptTokens: 3 * 5 + 5 + 5,
        completionTokens: 3 * 4 + 6,
        totalTokens: 3 * 9 + 11 + 5,
        cachedTokens: 0,
        reasoningTokens: 0,
        byModel: {
          good: {
            requests: 5,
            byStatus: { '200': 5 },
            timeouts: 0,
            drops: 0,
            aborted: 0,
            promptTokens: 20,
            completionTokens: 18,
          },
          'bad-model': {
            requests: 2,
            byStatus: { '503': 2 },
            timeouts: 0,
            drops: 0,
            aborted: 0,
            promptTokens: 0,
            completionTokens: 0,
          },
          emb: {
            requests: 1,
            byStatus: { '200': 1 },
            timeouts: 0,
            drops: 0,
            aborted: 0,
            promptTokens: 5,
            completionTokens: 0,
          },
        },
        otherRequests: 1,
      };
      expect(llm.stats()).toEqual(expected);
      const viaHttp = await get(`${llm.url.replace(/\/v1$/, '')}/__stats`);
      expect(viaHttp.body).toEqual({ ...expected, otherRequests: 2 });
    } finally {
      await llm.close();
    }
  });

  it('serves hundreds of concurrent requests at zero latency and counts every one', async () => {
    const llm = await startFakeLlm();
    try {
      const n = 400;
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          post(`${llm.url}/chat/completions`, chatBody('m', { max_tokens: 2, stream: i % 2 === 1 })),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const s = llm.stats();
      expect(s.requests).toBe(n);
      expect(s.byStatus).toEqual({ '200': n });
      expect(s.streams).toBe(n / 2);
      // only the non-streamed half sent usage
      expect(s.completionTokens).toBe((n / 2) * 2);
    } finally {
      await llm.close();
    }
  });
});

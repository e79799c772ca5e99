// Rate-limit headers on every answer: limits, remaining requests/tokens decreasing per request, reset per
// one-minute window; with enforceRateLimits, a 429 with Retry-After once the window is used up.

import { describe, expect, it } from 'vitest';
import { startFakeLlm } from '../../src/fake-llm/index.js';
import { createRateLimiter, RATE_LIMIT_WINDOW_MS } from '../../src/fake-llm/rate-limit.js';
import { chatBody, get, post } from './support/http.js';

function limits(h: Headers) {
  return {
    limitRequests: h.get('x-ratelimit-limit-requests'),
    remainingRequests: Number(h.get('x-ratelimit-remaining-requests')),
    limitTokens: h.get('x-ratelimit-limit-tokens'),
    remainingTokens: Number(h.get('x-ratelimit-remaining-tokens')),
  };
}

describe('rate-limit headers', () => {
  it('decrease by one request and by prompt + completion tokens per request, on successes and failures alike', async () => {
    const llm = await startFakeLlm({
      rateLimitRequests: 100,
      rateLimitTokens: 1000,
      promptTokens: 10,
      completionTokens: 5,
      failModels: { 'bad-model': 500 },
    });
    try {
      const seen = [];
      for (const model of ['m', 'm', 'bad-model', 'm']) {
        const res = await post(`${llm.url}/chat/completions`, chatBody(model));
        seen.push(limits(res.headers));
        expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+m?s$/);
      }
      expect(seen).toEqual([
        { limitRequests: '100', remainingRequests: 99, limitTokens: '1000', remainingTokens: 985 },
        { limitRequests: '100', remainingRequests: 98, limitTokens: '1000', remainingTokens: 970 },
        { limitRequests: '100', remainingRequests: 97, limitTokens: '1000', remainingTokens: 955 },
        { limitRequests: '100', remainingRequests: 96, limitTokens: '1000', remainingTokens: 940 },
      ]);
      // answers that are not API requests show the window without taking from it
      const health = await get(`${llm.url.replace(/\/v1$/, '')}/health`);
      expect(limits(health.headers).remainingRequests).toBe(96);
      const bad = await post(`${llm.url}/chat/completions`, 'not json');
      expect(bad.status).toBe(400);
      expect(limits(bad.headers).remainingRequests).toBe(96);
    } finally {
      await llm.close();
    }
  });

  it('with enforceRateLimits, answers 429 with Retry-After once the requests of the window are used up', async () => {
    const llm = await startFakeLlm({ rateLimitRequests: 3, enforceRateLimits: true });
    try {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await post(`${llm.url}/chat/completions`, chatBody('m')));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
      const retryAfter = Number(answers[3]!.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limits(answers[4]!.headers).remainingRequests).toBe(0);
      expect(llm.stats().byStatus).toEqual({ '200': 3, '429': 2 });
    } finally {
      await llm.close();
    }
  });
});

describe('createRateLimiter', () => {
  it('resets the window one minute after it started', () => {
    const rl = createRateLimiter(10, 100, false);
    expect(rl.take(30, 1_000).remainingTokens).toBe(70);
    expect(rl.take(30, 1_000 + RATE_LIMIT_WINDOW_MS - 1)).toMatchObject({
      remainingRequests: 8,
      remainingTokens: 40,
      resetMs: 1,
    });
    expect(rl.take(30, 1_000 + RATE_LIMIT_WINDOW_MS)).toMatchObject({
      remainingRequests: 9,
      remainingTokens: 70,
      resetMs: RATE_LIMIT_WINDOW_MS,
    });
  });

  it('without enforcement keeps counting past the limit with remaining values floored at 0', () => {
    const rl = createRateLimiter(1, 10, false);
    expect(rl.take(8, 0)).toMatchObject({ admitted: true, remainingRequests: 0, remainingTokens: 2 });
    expect(rl.take(8, 1)).toMatchObject({ admitted: true, remainingRequests: 0, remainingTokens: 0 });
  });

  it('with enforcement refuses a request whose tokens do not fit and takes nothing for it', () => {
    const rl = createRateLimiter(10, 10, true);
    expect(rl.take(8, 0)).toMatchObject({ admitted: true, remainingTokens: 2 });
    expect(rl.take(3, 0)).toMatchObject({ admitted: false, remainingRequests: 9, remainingTokens: 2 });
    expect(rl.take(2, 0)).toMatchObject({ admitted: true, remainingRequests: 8, remainingTokens: 0 });
  });
});

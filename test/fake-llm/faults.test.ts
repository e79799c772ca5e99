// Injected faults: seeded failures repeat exactly, 429 carries Retry-After, timeouts hang until the client
// gives up (and the socket is closed after hangMs), drops cut the connection midway, per-model failures,
// and the server keeps serving after all of them.

import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { seededUniform, SLOT_FAULT, startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import { chatBody, post } from './support/http.js';

async function statuses(llm: FakeLlm, n: number, model = 'm'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await post(`${llm.url}/chat/completions`, chatBody(model))).status);
  return out;
}

/** A raw POST without any client timeout: resolves with how the exchange ended. */
function rawPost(
  url: string,
  body: unknown,
): Promise<{ kind: 'response'; status: number } | { kind: 'error'; code: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ kind: 'response', status: res.statusCode ?? 0 }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'error', code: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'error', code: e.code ?? e.message }));
    req.end(JSON.stringify(body));
  });
}

describe('failureRate with a seed', () => {
  it('fails exactly the requests whose seeded draw is below the rate, the same way on every run', async () => {
    const seed = 42;
    const rate = 0.3;
    const n = 120;
    const expectedFailing = Array.from({ length: n }, (_, i) => seededUniform(seed, i, SLOT_FAULT) < rate);
    const expectedCount = expectedFailing.filter(Boolean).length;
    // the draw is a fair coin at this rate: the expected count is near 0.3 * 120 = 36
    expect(expectedCount).toBeGreaterThan(20);
    expect(expectedCount).toBeLessThan(52);

    const runs: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const llm = await startFakeLlm({ seed, failureRate: rate, failureStatuses: [429, 500, 503] });
      try {
        runs.push(await statuses(llm, n));
        expect(llm.stats().byStatus['200']).toBe(n - expectedCount);
      } finally {
        await llm.close();
      }
    }
    const [a, b] = runs as [number[], number[]];
    expect(a.map((s) => s !== 200)).toEqual(expectedFailing);
    expect(b).toEqual(a);
    // every status of the list shows up, and nothing else
    expect(new Set(a.filter((s) => s !== 200))).toEqual(new Set([429, 500, 503]));
  });

  it('a different seed gives a different failure sequence', async () => {
    const one = await startFakeLlm({ seed: 1, failureRate: 0.5 });
    const two = await startFakeLlm({ seed: 2, failureRate: 0.5 });
    try {
      expect(await statuses(one, 40)).not.toEqual(await statuses(two, 40));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('429', () => {
  it('carries Retry-After (retryAfterSeconds) and an OpenAI rate_limit_exceeded error', async () => {
    const llm = await startFakeLlm({ failureRate: 1, failureStatuses: [429], retryAfterSeconds: 7 });
    try {
      const res = await post(`${llm.url}/chat/completions`, chatBody('m'));
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body).toEqual({
        error: { message: expect.any(String), type: 'requests', param: null, code: 'rate_limit_exceeded' },
      });
    } finally {
      await llm.close();
    }
  });
});

describe('timeoutRate', () => {
  it('never answers: the client times out, the server closes the socket after hangMs, and keeps serving', async () => {
    const llm = await startFakeLlm({ modelOverrides: { slow: { timeoutRate: 1, hangMs: 1500 } } });
    try {
      const started = Date.now();
      await expect(
        post(`${llm.url}/chat/completions`, chatBody('slow'), { signal: AbortSignal.timeout(300) }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(1500);

      // a client without a timeout sees the connection closed, no answer, after about hangMs
      const rawStarted = Date.now();
      const raw = await rawPost(`${llm.url}/chat/completions`, chatBody('slow'));
      expect(raw).toEqual({ kind: 'error', code: 'ECONNRESET' });
      expect(Date.now() - rawStarted).toBeGreaterThanOrEqual(1400);

      expect((await post(`${llm.url}/chat/completions`, chatBody('fine'))).status).toBe(200);
      const s = llm.stats();
      expect(s.timeouts).toBe(2);
      expect(s.byStatus).toEqual({ '200': 1 });
    } finally {
      await llm.close();
    }
  });

  it('close() does not wait for hanging requests', async () => {
    const llm = await startFakeLlm({ timeoutRate: 1, hangMs: 60_000 });
    const pending = rawPost(`${llm.url}/chat/completions`, chatBody('m'));
    while (llm.stats().timeouts === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await llm.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await pending).kind).toBe('error');
  });
});

describe('dropRate', () => {
  it('destroys the connection after part of a JSON answer; the client sees a socket error and the server keeps serving', async () => {
    const llm = await startFakeLlm({ modelOverrides: { flaky: { dropRate: 1 } } });
    try {
      const res = await fetch(`${llm.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify(chatBody('flaky', { max_tokens: 200 })),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();

      const raw = await rawPost(`${llm.url}/chat/completions`, chatBody('flaky'));
      expect(raw.kind).toBe('error');

      expect((await post(`${llm.url}/chat/completions`, chatBody('fine'))).status).toBe(200);
      expect(llm.stats().drops).toBe(2);
      expect(llm.stats().byStatus).toEqual({ '200': 1 });
    } finally {
      await llm.close();
    }
  });

  it('cuts a stream before [DONE] and the usage chunk', async () => {
    const llm = await startFakeLlm({ dropRate: 1, streamChunkDelayMs: 5 });
    try {
      const res = await fetch(`${llm.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify(chatBody('m', { stream: true, stream_options: { include_usage: true } })),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = '';
      const error = await (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return undefined;
            seen += decoder.decode(value, { stream: true });
          }
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(Error);
      expect(seen).toContain('chat.completion.chunk');
      expect(seen).not.toContain('[DONE]');
      expect(seen).not.toContain('"usage":{');
      expect(llm.stats().promptTokens).toBe(0);
    } finally {
      await llm.close();
    }
  });
});

describe('a client that gives up', () => {
  it('is counted as aborted, not answered, when it leaves during the latency', async () => {
    const llm = await startFakeLlm({ latencyMs: 400, streamChunkDelayMs: 10 });
    try {
      await expect(
        post(`${llm.url}/chat/completions`, chatBody('m'), { signal: AbortSignal.timeout(100) }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
      await expect(
        post(`${llm.url}/chat/completions`, chatBody('m', { stream: true }), {
          signal: AbortSignal.timeout(100),
        }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
      const deadline = Date.now() + 5000;
      while (llm.stats().aborted < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(llm.stats()).toMatchObject({ requests: 2, aborted: 2, byStatus: {}, promptTokens: 0 });
    } finally {
      await llm.close();
    }
  });
});

describe('per-model behaviour', () => {
  it('failModels always fails that model with its status while other models succeed', async () => {
    const llm = await startFakeLlm({ failModels: { 'bad-model': 500, 'gone-model': 404 } });
    try {
      expect(await statuses(llm, 3, 'bad-model')).toEqual([500, 500, 500]);
      const gone = await post(`${llm.url}/chat/completions`, chatBody('gone-model'));
      expect(gone.status).toBe(404);
      expect((gone.body as { error: { type: string } }).error.type).toBe('invalid_request_error');
      expect(await statuses(llm, 3, 'good-model')).toEqual([200, 200, 200]);
      const embed = await post(`${llm.url}/embeddings`, { model: 'bad-model', input: 'x' });
      expect(embed.status).toBe(500);
    } finally {
      await llm.close();
    }
  });

  it('modelOverrides change latency and tokens for one model only', async () => {
    const llm = await startFakeLlm({
      completionTokens: 3,
      modelOverrides: { slow: { latencyMs: { min: 250, max: 300 }, completionTokens: 9 } },
    });
    try {
      const t0 = Date.now();
      const slow = await post(`${llm.url}/chat/completions`, chatBody('slow'));
      const slowMs = Date.now() - t0;
      expect(slowMs).toBeGreaterThanOrEqual(240);
      expect((slow.body as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(9);
      const fast = await post(`${llm.url}/chat/completions`, chatBody('fast'));
      expect((fast.body as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
    } finally {
      await llm.close();
    }
  });

  it('firstChunkDelayMs and streamChunkDelayMs pace a stream', async () => {
    const llm = await startFakeLlm({ firstChunkDelayMs: 200, streamChunkDelayMs: 40, streamChunks: 4 });
    try {
      const t0 = Date.now();
      const res = await fetch(`${llm.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify(chatBody('m', { stream: true, max_tokens: 4 })),
        signal: AbortSignal.timeout(10_000),
      });
      const firstByteMs = Date.now() - t0;
      await res.text();
      const totalMs = Date.now() - t0;
      expect(firstByteMs).toBeGreaterThanOrEqual(190);
      // role + 4 content + finish + [DONE] = 7 events, 6 gaps of 40 ms after the first
      expect(totalMs - firstByteMs).toBeGreaterThanOrEqual(6 * 40 - 20);
    } finally {
      await llm.close();
    }
  });
});

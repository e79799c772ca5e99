// The fake upstream's endpoints answer in OpenAI's shapes, over real HTTP on 127.0.0.1.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import { chatBody, get, post, sseData } from './support/http.js';

let llm: FakeLlm;

beforeAll(async () => {
  llm = await startFakeLlm({ cachedTokens: 3, reasoningTokens: 2, models: ['gpt-fake', 'embed-fake'] });
});
afterAll(async () => {
  await llm.close();
});

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

describe('POST /v1/chat/completions', () => {
  it('answers a chat.completion whose usage derives prompt tokens from characters/4 and completion tokens from max_tokens', async () => {
    // 40 + 13 characters -> ceil(53 / 4) = 14 prompt tokens
    const res = await post(`${llm.url}/chat/completions`, {
      model: 'gpt-fake',
      messages: [
        { role: 'system', content: 'x'.repeat(40) },
        { role: 'user', content: [{ type: 'text', text: 'hello, world!' }] },
      ],
      max_tokens: 7,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = res.body as {
      id: string;
      object: string;
      model: string;
      choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
      usage: Usage;
    };
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe('gpt-fake');
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0]!.message.role).toBe('assistant');
    expect(body.choices[0]!.message.content.split(' ')).toHaveLength(7);
    expect(body.choices[0]!.finish_reason).toBe('stop');
    expect(body.usage).toEqual({
      prompt_tokens: 14,
      completion_tokens: 7,
      total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 3, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 2,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
  });

  it('uses max_completion_tokens, and the default of 16 completion tokens when no limit is given', async () => {
    const a = await post(`${llm.url}/chat/completions`, chatBody('gpt-fake', { max_completion_tokens: 3 }));
    expect((a.body as { usage: Usage }).usage.completion_tokens).toBe(3);
    const b = await post(`${llm.url}/chat/completions`, chatBody('gpt-fake'));
    expect((b.body as { usage: Usage }).usage.completion_tokens).toBe(16);
  });

  it('streams SSE chunks ending with a usage chunk (empty choices) and [DONE] when include_usage is set', async () => {
    const res = await post(
      `${llm.url}/chat/completions`,
      chatBody('gpt-fake', { stream: true, stream_options: { include_usage: true }, max_tokens: 20 }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseData(res.text);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as {
      object: string;
      choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
      usage: Usage | null;
    }[];
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text.split(' ')).toHaveLength(20);
    // 8 content chunks by default, between the role chunk and the finish chunk
    expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '')).toHaveLength(8);
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]!.finish_reason).toBe('stop');
    expect(finish.usage).toBeNull();
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 10,
      completion_tokens: 20,
      total_tokens: 30,
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
  });

  it('streams without any usage when include_usage is not set', async () => {
    const res = await post(
      `${llm.url}/chat/completions`,
      chatBody('gpt-fake', { stream: true, max_tokens: 2 }),
    );
    const events = sseData(res.text);
    expect(events.at(-1)).toBe('[DONE]');
    for (const c of events.slice(0, -1) as Record<string, unknown>[]) {
      expect(c).not.toHaveProperty('usage');
      expect((c['choices'] as unknown[]).length).toBe(1);
    }
  });

  it('answers bad JSON with 400 in OpenAI error shape', async () => {
    const res = await post(`${llm.url}/chat/completions`, '{"model": "gpt-fake", ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        message: expect.stringContaining('could not parse the JSON'),
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it('answers a missing model or messages with 400 naming the param', async () => {
    const a = await post(`${llm.url}/chat/completions`, { messages: [{ role: 'user', content: 'hi' }] });
    expect(a.status).toBe(400);
    expect((a.body as { error: { param: string } }).error.param).toBe('model');
    const b = await post(`${llm.url}/chat/completions`, { model: 'gpt-fake' });
    expect(b.status).toBe(400);
    expect((b.body as { error: { param: string } }).error.param).toBe('messages');
  });
});

describe('other endpoints', () => {
  it('POST /v1/embeddings answers one vector per input with usage prompt_tokens = total_tokens', async () => {
    const res = await post(`${llm.url}/embeddings`, {
      model: 'embed-fake',
      input: ['abcdefgh', 'abcde'],
      dimensions: 4,
    });
    expect(res.status).toBe(200);
    const body = res.body as {
      object: string;
      data: { object: string; index: number; embedding: number[] }[];
      model: string;
      usage: { prompt_tokens: number; total_tokens: number };
    };
    expect(body.object).toBe('list');
    expect(body.model).toBe('embed-fake');
    expect(body.data.map((d) => d.index)).toEqual([0, 1]);
    for (const d of body.data) {
      expect(d.object).toBe('embedding');
      expect(d.embedding).toHaveLength(4);
    }
    // ceil(8/4) + ceil(5/4) = 2 + 2
    expect(body.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it('POST /v1/embeddings counts token-id inputs one per id and rejects other shapes with 400', async () => {
    const ok = await post(`${llm.url}/embeddings`, { model: 'embed-fake', input: [1, 2, 3] });
    expect((ok.body as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(3);
    const bad = await post(`${llm.url}/embeddings`, { model: 'embed-fake', input: { text: 'no' } });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { param: string } }).error.param).toBe('input');
  });

  it('GET /v1/models lists the configured models and GET /health answers 200', async () => {
    const models = await get(`${llm.url}/models`);
    expect(models.status).toBe(200);
    expect(models.body).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-fake', object: 'model', created: expect.any(Number), owned_by: 'fake-llm' },
        { id: 'embed-fake', object: 'model', created: expect.any(Number), owned_by: 'fake-llm' },
      ],
    });
    const health = await get(`${llm.url.replace(/\/v1$/, '')}/health`);
    expect(health.status).toBe(200);
  });

  it('answers an unknown path with 404 and a GET on a POST endpoint with 405, both in OpenAI error shape', async () => {
    const a = await get(`${llm.url}/nope`);
    expect(a.status).toBe(404);
    expect((a.body as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const b = await get(`${llm.url}/chat/completions`);
    expect(b.status).toBe(405);
    expect(b.headers.get('allow')).toBe('POST');
  });
});

describe('apiKey', () => {
  it('answers 401 without the right bearer key and 200 with it', async () => {
    const guarded = await startFakeLlm({ apiKey: 'sk-test' });
    try {
      const none = await post(`${guarded.url}/chat/completions`, chatBody('m'));
      expect(none.status).toBe(401);
      expect((none.body as { error: { code: string } }).error.code).toBe('invalid_api_key');
      const wrong = await post(`${guarded.url}/chat/completions`, chatBody('m'), {
        headers: { authorization: 'Bearer sk-other' },
      });
      expect(wrong.status).toBe(401);
      const right = await post(`${guarded.url}/chat/completions`, chatBody('m'), {
        headers: { authorization: 'Bearer sk-test' },
      });
      expect(right.status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('generated text', () => {
  it('has exactly one word per completion token, also past the cached 4096 tokens', async () => {
    const res = await post(`${llm.url}/chat/completions`, chatBody('gpt-fake', { max_tokens: 5000 }));
    const content = (res.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    expect(content.split(' ')).toHaveLength(5000);
    expect(content.startsWith('Lorem ipsum')).toBe(true);
  });
});

// OpenAI features beyond one plain text choice, over real HTTP on 127.0.0.1: `n` choices (whole and
// streamed, usage summed over the choices), function calling (whole and streamed, seeded ids), and
// base64 embeddings. Usage must equal what the stats count, since end-to-end tests compare the
// proxy's token counters with the fake's stats.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import { chatBody, post, sseData } from './support/http.js';

let llm: FakeLlm;

beforeAll(async () => {
  llm = await startFakeLlm({ cachedTokens: 3, reasoningTokens: 2 });
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

interface ToolCall {
  index?: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments: string };
}

interface Completion {
  choices: {
    index: number;
    message: { role: string; content: string | null; tool_calls?: ToolCall[]; refusal: null };
    finish_reason: string;
  }[];
  usage: Usage;
}

interface Chunk {
  choices: {
    index: number;
    delta: { role?: string; content?: string | null; tool_calls?: ToolCall[] };
    finish_reason: string | null;
  }[];
  usage?: Usage | null;
}

interface ApiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The stream's chunks (without [DONE]); fails unless it ends with [DONE]. */
function chunksOf(text: string): Chunk[] {
  const events = sseData(text);
  expect(events.at(-1)).toBe('[DONE]');
  return events.slice(0, -1) as Chunk[];
}

/** A stream's choice chunks by choice index, in order; each chunk must carry exactly one choice. */
function byChoice(chunks: Chunk[]): Map<number, Chunk['choices']> {
  const out = new Map<number, Chunk['choices']>();
  for (const c of chunks) {
    if (c.choices.length === 0) continue;
    expect(c.choices).toHaveLength(1);
    const choice = c.choices[0]!;
    if (!out.has(choice.index)) out.set(choice.index, []);
    out.get(choice.index)!.push(choice);
  }
  return out;
}

/** Runs `fn` and returns how much the server's completion and prompt token counters grew. */
async function tokensCounted(fn: () => Promise<void>): Promise<{ prompt: number; completion: number }> {
  const before = llm.stats();
  await fn();
  const after = llm.stats();
  return {
    prompt: after.promptTokens - before.promptTokens,
    completion: after.completionTokens - before.completionTokens,
  };
}

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather at a place.',
    parameters: {
      type: 'object',
      properties: {
        location: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer' },
        detailed: { type: ['boolean', 'null'] },
        at: {
          type: 'object',
          properties: { lat: { type: 'number' }, lon: { type: 'number' }, label: { type: 'string' } },
          required: ['lat', 'lon'],
        },
      },
      required: ['location', 'unit', 'detailed', 'at'],
    },
  },
};
const NOW = { type: 'function', function: { name: 'now' } };
const WEATHER_ARGS = { location: 'lorem', unit: 'celsius', detailed: false, at: { lat: 0, lon: 0 } };

describe('n choices', () => {
  it('answers n choices indexed 0..n-1, each a full generation; usage sums completions and counts the prompt once', async () => {
    let res: Awaited<ReturnType<typeof post>> | undefined;
    const counted = await tokensCounted(async () => {
      res = await post(`${llm.url}/chat/completions`, chatBody('m', { n: 3, max_tokens: 4 }));
    });
    expect(res!.status).toBe(200);
    const body = res!.body as Completion;
    expect(body.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of body.choices) {
      expect(c.message.role).toBe('assistant');
      expect(c.message.content!.split(' ')).toHaveLength(4);
      expect(c.finish_reason).toBe('stop');
    }
    // 40 characters -> 10 prompt tokens, once; 3 x 4 completion tokens; reasoning 2 per choice
    expect(body.usage).toMatchObject({
      prompt_tokens: 10,
      completion_tokens: 12,
      total_tokens: 22,
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 6 },
    });
    expect(counted).toEqual({ prompt: 10, completion: 12 });
  });

  it('takes prompt + n x completion tokens from the rate-limit window', async () => {
    const fresh = await startFakeLlm();
    try {
      const res = await post(`${fresh.url}/chat/completions`, chatBody('m', { n: 5, max_tokens: 3 }));
      expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe(String(10_000_000 - (10 + 5 * 3)));
    } finally {
      await fresh.close();
    }
  });

  it('streams every choice with its index, each ending with its own finish_reason; the usage chunk sums the choices', async () => {
    let res: Awaited<ReturnType<typeof post>> | undefined;
    const counted = await tokensCounted(async () => {
      res = await post(
        `${llm.url}/chat/completions`,
        chatBody('m', { n: 3, max_tokens: 5, stream: true, stream_options: { include_usage: true } }),
      );
    });
    expect(res!.status).toBe(200);
    const chunks = chunksOf(res!.text);
    const choices = byChoice(chunks);
    expect([...choices.keys()].sort()).toEqual([0, 1, 2]);
    for (const list of choices.values()) {
      expect(list[0]!.delta.role).toBe('assistant');
      expect(list.map((c) => c.delta.content ?? '').join('')).toBe('Lorem ipsum dolor sit amet,');
      // exactly one finish_reason per choice, on its last chunk
      expect(list.filter((c) => c.finish_reason !== null)).toHaveLength(1);
      expect(list.at(-1)!.finish_reason).toBe('stop');
    }
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 15, total_tokens: 25 });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(counted).toEqual({ prompt: 10, completion: 15 });
  });

  it('paces a stream of n choices by step: each write holds one chunk of every choice', async () => {
    const paced = await startFakeLlm({ streamChunkDelayMs: 40, streamChunks: 2 });
    try {
      // role, 2 content, finish, [DONE]: 5 writes, 4 gaps of 40 ms whatever n is (one write per chunk
      // would be 65 writes, 2.5 s)
      const t0 = performance.now();
      const res = await post(
        `${paced.url}/chat/completions`,
        chatBody('m', { n: 16, max_tokens: 2, stream: true }),
      );
      const ms = performance.now() - t0;
      expect(byChoice(chunksOf(res.text)).size).toBe(16);
      expect(ms).toBeGreaterThanOrEqual(150);
      expect(ms).toBeLessThan(1500);
    } finally {
      await paced.close();
    }
  });

  it('accepts n = 1, null and 128; answers 0, 129, 1.5 and "2" with 400 naming param n', async () => {
    const one = await post(`${llm.url}/chat/completions`, chatBody('m', { n: 1 }));
    expect((one.body as Completion).choices).toHaveLength(1);
    const nul = await post(`${llm.url}/chat/completions`, chatBody('m', { n: null }));
    expect((nul.body as Completion).choices).toHaveLength(1);
    const max = await post(`${llm.url}/chat/completions`, chatBody('m', { n: 128, max_tokens: 1 }));
    expect(max.status).toBe(200);
    expect((max.body as Completion).choices).toHaveLength(128);
    expect((max.body as Completion).usage.completion_tokens).toBe(128);

    const before = llm.stats();
    const cases: [unknown, string][] = [
      [0, 'integer_below_min_value'],
      [129, 'integer_above_max_value'],
      [1.5, 'invalid_type'],
      ['2', 'invalid_type'],
    ];
    for (const [n, code] of cases) {
      const res = await post(`${llm.url}/chat/completions`, chatBody('m', { n, stream: true }));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: { message: expect.stringContaining("'n'"), type: 'invalid_request_error', param: 'n', code },
      });
    }
    // refused before numbering: no model request, no stream, no tokens
    const after = llm.stats();
    expect(after.byModel['m']!.requests).toBe(before.byModel['m']!.requests);
    expect(after.streams).toBe(before.streams);
    expect(after.byStatus['400']).toBe((before.byStatus['400'] ?? 0) + cases.length);
  });
});

describe('tools', () => {
  it('answers a call to the first function: content null, call_ id, arguments filling the required parameters, finish_reason tool_calls', async () => {
    let res: Awaited<ReturnType<typeof post>> | undefined;
    const counted = await tokensCounted(async () => {
      res = await post(
        `${llm.url}/chat/completions`,
        chatBody('m', { tools: [WEATHER, NOW], max_tokens: 9 }),
      );
    });
    expect(res!.status).toBe(200);
    const body = res!.body as Completion;
    expect(body.choices).toHaveLength(1);
    const choice = body.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call.type).toBe('function');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual(WEATHER_ARGS);
    // a tool call counts completion tokens as a text answer would, and the stats count what usage says
    expect(body.usage.completion_tokens).toBe(9);
    expect(counted).toEqual({ prompt: body.usage.prompt_tokens, completion: 9 });
  });

  it('calls the function tool_choice names ("{}" without parameters); "required" calls, "none" answers text', async () => {
    const named = await post(
      `${llm.url}/chat/completions`,
      chatBody('m', { tools: [WEATHER, NOW], tool_choice: { type: 'function', function: { name: 'now' } } }),
    );
    const call = (named.body as Completion).choices[0]!.message.tool_calls![0]!;
    expect(call.function).toEqual({ name: 'now', arguments: '{}' });

    const required = await post(
      `${llm.url}/chat/completions`,
      chatBody('m', { tools: [NOW], tool_choice: 'required' }),
    );
    expect((required.body as Completion).choices[0]!.finish_reason).toBe('tool_calls');

    const none = await post(
      `${llm.url}/chat/completions`,
      chatBody('m', { tools: [WEATHER], tool_choice: 'none', max_tokens: 3 }),
    );
    const text = (none.body as Completion).choices[0]!;
    expect(text.finish_reason).toBe('stop');
    expect(text.message.content).toBe('Lorem ipsum dolor');
    expect(text.message.tool_calls).toBeUndefined();
  });

  it('gives each of n choices its own call id, repeatable with the seed', async () => {
    const ids = async (seed: number): Promise<string[]> => {
      const seeded = await startFakeLlm({ seed });
      try {
        await post(`${seeded.url}/chat/completions`, chatBody('m')); // request 0: no call
        const res = await post(`${seeded.url}/chat/completions`, chatBody('m', { tools: [NOW], n: 3 }));
        return (res.body as Completion).choices.map((c) => c.message.tool_calls![0]!.id!);
      } finally {
        await seeded.close();
      }
    };
    const a = await ids(7);
    expect(new Set(a).size).toBe(3);
    expect(await ids(7)).toEqual(a);
    expect(await ids(8)).not.toEqual(a);
  });

  it('streams the call as OpenAI does: id, type and name with empty arguments first, then argument fragments, then finish_reason tool_calls', async () => {
    let res: Awaited<ReturnType<typeof post>> | undefined;
    const counted = await tokensCounted(async () => {
      res = await post(
        `${llm.url}/chat/completions`,
        chatBody('m', {
          tools: [WEATHER],
          n: 2,
          max_tokens: 6,
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
    });
    expect(res!.status).toBe(200);
    const chunks = chunksOf(res!.text);
    const choices = byChoice(chunks);
    expect([...choices.keys()].sort()).toEqual([0, 1]);
    const ids = new Set<string>();
    for (const list of choices.values()) {
      const first = list[0]!.delta;
      expect(first.role).toBe('assistant');
      expect(first.content).toBeNull();
      expect(first.tool_calls).toHaveLength(1);
      const open = first.tool_calls![0]!;
      expect(open).toEqual({
        index: 0,
        id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/),
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      });
      ids.add(open.id!);
      const fragments = list.slice(1, -1);
      expect(fragments.length).toBeGreaterThan(1);
      for (const f of fragments) {
        expect(f.finish_reason).toBeNull();
        expect(f.delta.tool_calls).toHaveLength(1);
        const part = f.delta.tool_calls![0]!;
        // only the first delta names the call
        expect(part.id).toBeUndefined();
        expect(part.function.name).toBeUndefined();
        expect(part.index).toBe(0);
      }
      const args = fragments.map((f) => f.delta.tool_calls![0]!.function.arguments).join('');
      expect(JSON.parse(args)).toEqual(WEATHER_ARGS);
      expect(list.at(-1)!.finish_reason).toBe('tool_calls');
      expect(list.at(-1)!.delta).toEqual({});
    }
    expect(ids.size).toBe(2);
    expect(chunks.at(-1)!.usage).toMatchObject({
      prompt_tokens: 10,
      completion_tokens: 12,
      total_tokens: 22,
    });
    expect(counted).toEqual({ prompt: 10, completion: 12 });
  });

  it('answers malformed tools with 400 naming param tools, and an unknown tool_choice with 400 naming tool_choice', async () => {
    const before = llm.stats().byModel['m']!.requests;
    const badTools: unknown[] = [
      'get_weather',
      { type: 'function', function: { name: 'x' } },
      [],
      [NOW, { type: 'function', function: { description: 'no name' } }],
      [{ type: 'function' }],
      [{ type: 'function', function: { name: '' } }],
      [null],
    ];
    for (const tools of badTools) {
      const res = await post(`${llm.url}/chat/completions`, chatBody('m', { tools }));
      expect(res.status, JSON.stringify(tools)).toBe(400);
      const error = (res.body as ApiError).error;
      expect(error.param).toBe('tools');
      expect(error.type).toBe('invalid_request_error');
    }
    const missing = await post(
      `${llm.url}/chat/completions`,
      chatBody('m', { tools: [NOW, { type: 'function' }] }),
    );
    expect((missing.body as ApiError).error.message).toContain("'tools[1].function.name'");

    for (const tool_choice of ['sometimes', { type: 'function', function: { name: 'elsewhere' } }, 3]) {
      const res = await post(`${llm.url}/chat/completions`, chatBody('m', { tools: [NOW], tool_choice }));
      expect(res.status, JSON.stringify(tool_choice)).toBe(400);
      expect((res.body as ApiError).error.param).toBe('tool_choice');
    }
    expect(llm.stats().byModel['m']!.requests).toBe(before);
  });
});

describe('embeddings encoding_format', () => {
  const LE = true;

  it('"base64" sends each vector as the base64 of its little-endian float32 bytes, the same numbers as "float"', async () => {
    const input = ['abcdefgh', 'abcde'];
    const floats = await post(`${llm.url}/embeddings`, { model: 'e', input, dimensions: 6 });
    const b64 = await post(`${llm.url}/embeddings`, {
      model: 'e',
      input,
      dimensions: 6,
      encoding_format: 'base64',
    });
    expect(b64.status).toBe(200);
    type Data = { data: { index: number; embedding: number[] | string }[]; usage: unknown };
    const expected = (floats.body as Data).data[0]!.embedding as number[];
    expect(expected).toHaveLength(6);
    const data = (b64.body as Data).data;
    expect(data.map((d) => d.index)).toEqual([0, 1]);
    for (const d of data) {
      expect(typeof d.embedding).toBe('string');
      const bytes = Buffer.from(d.embedding as string, 'base64');
      expect(bytes.length).toBe(6 * 4);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const decoded = Array.from({ length: 6 }, (_, i) => view.getFloat32(i * 4, LE));
      expect(decoded).toEqual(expected.map((x) => Math.fround(x)));
    }
    expect((b64.body as Data).usage).toEqual((floats.body as Data).usage);
  });

  it('"float", null and absent send numbers; any other value is a 400 naming param encoding_format', async () => {
    const absent = await post(`${llm.url}/embeddings`, { model: 'e', input: 'abcd' });
    const float = await post(`${llm.url}/embeddings`, {
      model: 'e',
      input: 'abcd',
      encoding_format: 'float',
    });
    const nul = await post(`${llm.url}/embeddings`, { model: 'e', input: 'abcd', encoding_format: null });
    expect(float.body).toEqual(absent.body);
    expect(nul.body).toEqual(absent.body);
    for (const encoding_format of ['int8', 'BASE64', 1, ['base64']]) {
      const res = await post(`${llm.url}/embeddings`, { model: 'e', input: 'abcd', encoding_format });
      expect(res.status, JSON.stringify(encoding_format)).toBe(400);
      expect((res.body as ApiError).error).toMatchObject({
        type: 'invalid_request_error',
        param: 'encoding_format',
        code: 'invalid_value',
      });
    }
  });
});

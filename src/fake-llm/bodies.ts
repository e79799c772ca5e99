// The bodies the fake upstream sends, in OpenAI's shapes: errors, chat completions (whole and as SSE
// chunks), embeddings, the model list.

import { completionText } from './tokens.js';

/** OpenAI's error body. */
export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

function defaultError(status: number): { message: string; type: string; code: string | null } {
  switch (status) {
    case 400:
      return { message: 'Bad request (fake-llm).', type: 'invalid_request_error', code: null };
    case 401:
      return {
        message: 'Incorrect API key provided (fake-llm).',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      };
    case 403:
      return { message: 'Forbidden (fake-llm).', type: 'invalid_request_error', code: 'permission_denied' };
    case 404:
      return { message: 'Not found (fake-llm).', type: 'invalid_request_error', code: 'not_found' };
    case 408:
      return { message: 'Request timed out (fake-llm).', type: 'timeout', code: null };
    case 413:
      return { message: 'Request body too large (fake-llm).', type: 'invalid_request_error', code: null };
    case 429:
      return {
        message: 'Rate limit reached for requests (fake-llm). Please try again later.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      };
    case 503:
      return {
        message: 'The engine is currently overloaded, please try again later (fake-llm).',
        type: 'server_error',
        code: null,
      };
    default:
      return status >= 500
        ? {
            message: 'The server had an error while processing your request (fake-llm).',
            type: 'server_error',
            code: null,
          }
        : {
            message: `Request failed with status ${status} (fake-llm).`,
            type: 'invalid_request_error',
            code: null,
          };
  }
}

/** The JSON text of an error answer; `message`/`param`/`code` replace the status's defaults. */
export function errorBody(
  status: number,
  message?: string,
  param?: string | null,
  code?: string | null,
): string {
  const d = defaultError(status);
  const body: OpenAiError = {
    error: {
      message: message ?? d.message,
      type: d.type,
      param: param ?? null,
      code: code === undefined ? d.code : code,
    },
  };
  return JSON.stringify(body);
}

const cachedErrors = new Map<number, string>();

/** The default error text of a status, built once (injected failures reuse it). */
export function cachedErrorBody(status: number): string {
  let body = cachedErrors.get(status);
  if (body === undefined) {
    body = errorBody(status);
    cachedErrors.set(status, body);
  }
  return body;
}

/** The numbers of one answer's `usage`. */
export interface UsageNumbers {
  prompt: number;
  completion: number;
  cached: number;
  reasoning: number;
}

function chatUsage(u: UsageNumbers): object {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The tool call every choice of an answer makes: the function, its arguments (JSON text), each choice's id. */
export interface ToolCallPlan {
  name: string;
  arguments: string;
  ids: string[];
}

/**
 * A whole (non-streaming) chat completion with `choices` choices (OpenAI's `n`). `usage.completion` is
 * the sum over the choices, as OpenAI counts it; each choice generates an equal share. With `tool`,
 * each choice is an assistant message with `content: null` and one call in `tool_calls`.
 */
export function chatCompletionBody(
  id: string,
  created: number,
  model: string,
  usage: UsageNumbers,
  choices = 1,
  tool?: ToolCallPlan,
): string {
  const content = tool === undefined ? completionText(0, usage.completion / choices) : null;
  const list: object[] = [];
  for (let i = 0; i < choices; i++) {
    list.push({
      index: i,
      message:
        tool === undefined
          ? { role: 'assistant', content, refusal: null }
          : {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: tool.ids[i],
                  type: 'function',
                  function: { name: tool.name, arguments: tool.arguments },
                },
              ],
              refusal: null,
            },
      logprobs: null,
      finish_reason: tool === undefined ? 'stop' : 'tool_calls',
    });
  }
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: list,
    usage: chatUsage(usage),
    system_fingerprint: 'fp_fake_llm',
  });
}

/** Cut points of `n` pieces of `text`, never inside a surrogate pair (a piece is sent as its own JSON string). */
function cut(text: string, c: number, n: number): number {
  let at = Math.floor((c * text.length) / n);
  if (at > 0 && at < text.length && (text.charCodeAt(at) & 0xfc00) === 0xdc00) at--;
  return at;
}

/**
 * The writes of a streamed chat completion, in order, each one or more `data: {...}\n\n` events: a
 * first chunk with the role, `contentChunks` chunks of text (at token boundaries), a chunk with
 * `finish_reason`, then (with `includeUsage`) a chunk with `usage` and empty `choices`, then
 * `data: [DONE]`. Like OpenAI, with `includeUsage` every chunk before the last carries `usage: null`.
 *
 * With `choices` > 1 the choices interleave as OpenAI's do: each write holds the same step of every
 * choice (one chunk each, by `index`), so pacing by write keeps the stream's length. `usage` is the
 * sum over the choices. With `tool`, the first chunk of a choice opens its tool call (id, type, name,
 * empty arguments), the next ones carry argument fragments, and the finish reason is "tool_calls".
 */
export function chatStreamEvents(
  id: string,
  created: number,
  model: string,
  usage: UsageNumbers,
  contentChunks: number,
  includeUsage: boolean,
  choices = 1,
  tool?: ToolCallPlan,
): string[] {
  const head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_fake_llm","choices":[`;
  const tail = includeUsage ? '],"usage":null}' : ']}';
  const event = (choice: string): string => `data: ${head}${choice}${tail}\n\n`;
  const events: string[] = [];
  // `rest` is a choice's chunk after its index: every choice gets the same one in the same write.
  const step = (rest: string): void => {
    if (choices === 1) {
      events.push(event(`{"index":0,${rest}`));
      return;
    }
    let write = '';
    for (let i = 0; i < choices; i++) write += event(`{"index":${i},${rest}`);
    events.push(write);
  };
  if (tool === undefined) {
    step('"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}');
    const tokens = usage.completion / choices;
    const chunks = Math.min(contentChunks, tokens);
    for (let c = 0; c < chunks; c++) {
      const from = Math.floor((c * tokens) / chunks);
      const to = Math.floor(((c + 1) * tokens) / chunks);
      step(
        `"delta":{"content":${JSON.stringify(completionText(from, to))}},"logprobs":null,"finish_reason":null}`,
      );
    }
    step('"delta":{},"logprobs":null,"finish_reason":"stop"}');
  } else {
    const name = JSON.stringify(tool.name);
    let write = '';
    for (let i = 0; i < choices; i++) {
      write += event(
        `{"index":${i},"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":${JSON.stringify(tool.ids[i])},"type":"function","function":{"name":${name},"arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}`,
      );
    }
    events.push(write);
    const args = tool.arguments;
    const chunks = Math.min(contentChunks, args.length);
    for (let c = 0; c < chunks; c++) {
      const piece = args.slice(cut(args, c, chunks), cut(args, c + 1, chunks));
      if (piece.length === 0) continue;
      step(
        `"delta":{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(piece)}}}]},"logprobs":null,"finish_reason":null}`,
      );
    }
    step('"delta":{},"logprobs":null,"finish_reason":"tool_calls"}');
  }
  if (includeUsage) {
    events.push(`data: ${head}],"usage":${JSON.stringify(chatUsage(usage))}}\n\n`);
  }
  events.push('data: [DONE]\n\n');
  return events;
}

/**
 * An embeddings answer: `inputs` vectors of `dimensions` floats (the same unit-ish vector each time),
 * as JSON numbers, or with `base64` as OpenAI's `encoding_format: "base64"`: the base64 of the
 * vector's little-endian float32 bytes, which is what the OpenAI SDKs decode.
 */
export function embeddingsBody(
  model: string,
  inputs: number,
  dimensions: number,
  promptTokens: number,
  base64 = false,
): string {
  const vector = embeddingVector(dimensions, base64);
  const data: string[] = [];
  for (let i = 0; i < inputs; i++) data.push(`{"object":"embedding","index":${i},"embedding":${vector}}`);
  return `{"object":"list","data":[${data.join(',')}],"model":${JSON.stringify(model)},"usage":{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens}}}`;
}

/** The JSON text of the vector per length, for each encoding (the same numbers both ways). */
const floatVectors = new Map<number, string>();
const base64Vectors = new Map<number, string>();

function embeddingVector(dimensions: number, base64: boolean): string {
  const cache = base64 ? base64Vectors : floatVectors;
  let v = cache.get(dimensions);
  if (v === undefined) {
    const values: number[] = [];
    for (let i = 0; i < dimensions; i++) values.push(Math.round(Math.sin(i + 1) * 1e6) / 1e6);
    if (base64) {
      // Little-endian whatever the host's byte order: the API's bytes are, and clients assume it.
      const bytes = Buffer.allocUnsafe(dimensions * 4);
      for (let i = 0; i < dimensions; i++) bytes.writeFloatLE(values[i]!, i * 4);
      v = `"${bytes.toString('base64')}"`;
    } else {
      v = JSON.stringify(values);
    }
    if (cache.size < 64) cache.set(dimensions, v);
  }
  return v;
}

/** `GET /v1/models`. */
export function modelsBody(models: readonly string[], created: number): string {
  return JSON.stringify({
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created, owned_by: 'fake-llm' })),
  });
}

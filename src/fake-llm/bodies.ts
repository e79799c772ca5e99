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

/** A whole (non-streaming) chat completion. */
export function chatCompletionBody(id: string, created: number, model: string, usage: UsageNumbers): string {
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: completionText(0, usage.completion), refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: chatUsage(usage),
    system_fingerprint: 'fp_fake_llm',
  });
}

/**
 * The SSE events of a streamed chat completion, in order, each `data: {...}\n\n`: a first chunk with
 * the role, `contentChunks` chunks of text (at token boundaries), a chunk with `finish_reason`, then
 * (with `includeUsage`) a chunk with `usage` and empty `choices`, then `data: [DONE]`. Like OpenAI, with
 * `includeUsage` every chunk before the last carries `usage: null`.
 */
export function chatStreamEvents(
  id: string,
  created: number,
  model: string,
  usage: UsageNumbers,
  contentChunks: number,
  includeUsage: boolean,
): string[] {
  const head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_fake_llm","choices":[`;
  const tail = includeUsage ? '],"usage":null}' : ']}';
  const event = (choice: string): string => `data: ${head}${choice}${tail}\n\n`;
  const events: string[] = [];
  events.push(
    event(
      '{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}',
    ),
  );
  const tokens = usage.completion;
  const chunks = Math.min(contentChunks, tokens);
  for (let c = 0; c < chunks; c++) {
    const from = Math.floor((c * tokens) / chunks);
    const to = Math.floor(((c + 1) * tokens) / chunks);
    events.push(
      event(
        `{"index":0,"delta":{"content":${JSON.stringify(completionText(from, to))}},"logprobs":null,"finish_reason":null}`,
      ),
    );
  }
  events.push(event('{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}'));
  if (includeUsage) {
    events.push(`data: ${head}],"usage":${JSON.stringify(chatUsage(usage))}}\n\n`);
  }
  events.push('data: [DONE]\n\n');
  return events;
}

/** An embeddings answer: `inputs` vectors of `dimensions` floats (the same unit-ish vector each time). */
export function embeddingsBody(
  model: string,
  inputs: number,
  dimensions: number,
  promptTokens: number,
): string {
  const vector = embeddingVector(dimensions);
  const data: string[] = [];
  for (let i = 0; i < inputs; i++) data.push(`{"object":"embedding","index":${i},"embedding":${vector}}`);
  return `{"object":"list","data":[${data.join(',')}],"model":${JSON.stringify(model)},"usage":{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens}}}`;
}

const vectors = new Map<number, string>();

function embeddingVector(dimensions: number): string {
  let v = vectors.get(dimensions);
  if (v === undefined) {
    const values: number[] = [];
    for (let i = 0; i < dimensions; i++) values.push(Math.round(Math.sin(i + 1) * 1e6) / 1e6);
    v = JSON.stringify(values);
    if (vectors.size < 64) vectors.set(dimensions, v);
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

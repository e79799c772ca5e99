// The fake OpenAI-compatible upstream: a node:http server (no framework: the hot path is one routing
// switch, one JSON.parse and one write, and hangs, drops and SSE need the raw socket anyway).
//
// Per API request, in order: read the body (413 past maxBodyBytes), parse it (400 on bad JSON),
// check the key (401), validate (400 naming the param), number the request (0, 1, 2, … in arrival
// order), take it from the rate-limit window (429 when enforced and used up), then decide its fate:
// a model in `failModels` fails; otherwise one draw u in [0, 1) picks failure (u < failureRate),
// timeout (next timeoutRate), drop (next dropRate) or success. After the latency the answer is written
// (or, for a drop, its first half and then the socket is destroyed); a timeout is never answered and
// its socket is closed after hangMs. Nothing on this path throws: a client that went away is counted
// as `aborted` and its answer skipped.

import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  cachedErrorBody,
  chatCompletionBody,
  chatStreamEvents,
  embeddingsBody,
  errorBody,
  modelsBody,
  type ToolCallPlan,
  type UsageNumbers,
} from './bodies.js';
import { resolveFakeLlmOptions, type FakeLlmOptions, type ResolvedBehaviour } from './options.js';
import {
  createUniform,
  SLOT_FAULT,
  SLOT_FIRST_CHUNK,
  SLOT_LATENCY,
  SLOT_STATUS,
  SLOT_TOOL_CALL,
  toolCallId,
} from './random.js';
import { createRateLimiter, type RateLimitTake } from './rate-limit.js';
import { createStatsRecorder, type FakeLlmStats, type ModelCounters } from './stats.js';
import { estimateChatPromptTokens, measureEmbeddingInput } from './tokens.js';
import { pickTool, typeName } from './tools.js';

/** A running fake upstream. */
export interface FakeLlm {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:8090/v1` (a wildcard host is given as loopback). */
  readonly url: string;
  /** The port it listens on (the real one when the option was 0). */
  readonly port: number;
  /** A snapshot of what it answered so far. */
  stats(): FakeLlmStats;
  /** Stops listening and destroys every open connection (in-flight answers are cut). Idempotent. */
  close(): Promise<void>;
}

const enum Fate {
  Answer,
  Fail,
  Hang,
  Drop,
}

const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';
const MAX_DIMENSIONS = 65_536;
/** OpenAI's bounds of `n`. */
const MAX_CHOICES = 128;

function resetText(ms: number): string {
  return ms >= 1000 ? `${Math.ceil(ms / 1000)}s` : `${Math.ceil(ms)}ms`;
}

function draw(
  min: number,
  max: number,
  u: (index: number, slot: number) => number,
  index: number,
  slot: number,
) {
  return min === max ? min : min + (max - min) * u(index, slot);
}

/** A res whose client is gone (socket closed) must not be written to. */
function gone(res: ServerResponse): boolean {
  return res.destroyed || (res.socket !== null && res.socket.destroyed);
}

function later(ms: number, fn: () => void): void {
  if (ms <= 0) {
    fn();
    return;
  }
  setTimeout(fn, ms).unref();
}

function nonNegativeInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** The error text of a bad `n` (OpenAI's wording and codes), or undefined when it is an integer in 1..128. */
function badChoiceCount(n: unknown): string | undefined {
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    return errorBody(
      400,
      `Invalid type for 'n': expected an integer, but got ${typeName(n)} instead.`,
      'n',
      'invalid_type',
    );
  }
  if (n < 1) {
    return errorBody(
      400,
      `Invalid 'n': integer below minimum value. Expected a value >= 1, but got ${n} instead.`,
      'n',
      'integer_below_min_value',
    );
  }
  if (n > MAX_CHOICES) {
    return errorBody(
      400,
      `Invalid 'n': integer above maximum value. Expected a value <= ${MAX_CHOICES}, but got ${n} instead.`,
      'n',
      'integer_above_max_value',
    );
  }
  return undefined;
}

/** Starts the fake upstream; resolves once it listens. Options are validated first ({@link FakeLlmConfigError}). */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const cfg = resolveFakeLlmOptions(options);
  const stats = createStatsRecorder();
  const uniform = createUniform(cfg.seed);
  const limiter = createRateLimiter(cfg.rateLimitRequests, cfg.rateLimitTokens, cfg.enforceRateLimits);
  const limitRequests = String(cfg.rateLimitRequests);
  const limitTokens = String(cfg.rateLimitTokens);
  const startedAt = Math.floor(Date.now() / 1000);
  const authHeader = cfg.apiKey === undefined ? undefined : `Bearer ${cfg.apiKey}`;
  let sequence = 0;

  function rateHeaders(rl: RateLimitTake): OutgoingHttpHeaders {
    const reset = resetText(rl.resetMs);
    return {
      'x-ratelimit-limit-requests': limitRequests,
      'x-ratelimit-limit-tokens': limitTokens,
      'x-ratelimit-remaining-requests': String(rl.remainingRequests),
      'x-ratelimit-remaining-tokens': String(rl.remainingTokens),
      'x-ratelimit-reset-requests': reset,
      'x-ratelimit-reset-tokens': reset,
    };
  }

  function send(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders): void {
    headers['content-type'] = JSON_TYPE;
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
  }

  /** An API error answered before the request was numbered (bad JSON, bad key, bad params). */
  function reject(res: ServerResponse, status: number, body: string): void {
    stats.answered(undefined, status);
    send(res, status, body, rateHeaders(limiter.peek(Date.now())));
  }

  /** Answers everything that is not an API request. */
  function serveOther(res: ServerResponse, method: string | undefined, path: string): void {
    stats.other();
    const headers = rateHeaders(limiter.peek(Date.now()));
    if (path === '/health' || path === '/v1/health') {
      if (method === 'GET' || method === 'HEAD') return send(res, 200, '{"status":"healthy"}', headers);
    } else if (path === '/v1/models' || path === '/models') {
      if (method === 'GET') return send(res, 200, modelsBody(cfg.models, startedAt), headers);
    } else if (path === '/__stats') {
      if (method === 'GET') return send(res, 200, JSON.stringify(stats.snapshot()), headers);
    } else if (
      path === '/v1/chat/completions' ||
      path === '/chat/completions' ||
      path === '/v1/embeddings' ||
      path === '/embeddings'
    ) {
      headers['allow'] = 'POST';
      return send(
        res,
        405,
        errorBody(405, `Method ${method} not allowed on ${path}; use POST.`, null, 'method_not_allowed'),
        headers,
      );
    } else {
      return send(
        res,
        404,
        errorBody(404, `Unknown request URL: ${method} ${path}.`, null, 'unknown_url'),
        headers,
      );
    }
    headers['allow'] = path === '/health' || path === '/v1/health' ? 'GET, HEAD' : 'GET';
    send(
      res,
      405,
      errorBody(405, `Method ${method} not allowed on ${path}.`, null, 'method_not_allowed'),
      headers,
    );
  }

  /** Decides a numbered request's fate; for Fail, `failStatus` receives the status. */
  function fateOf(b: ResolvedBehaviour, index: number, out: { status: number }): Fate {
    if (b.failStatus !== undefined) {
      out.status = b.failStatus;
      return Fate.Fail;
    }
    const u = uniform(index, SLOT_FAULT);
    if (u < b.failureRate) {
      const statuses = b.failureStatuses;
      const pick = Math.min(statuses.length - 1, Math.floor(uniform(index, SLOT_STATUS) * statuses.length));
      out.status = statuses[pick]!;
      return Fate.Fail;
    }
    if (u < b.failureRate + b.timeoutRate) return Fate.Hang;
    if (u < b.failureRate + b.timeoutRate + b.dropRate) return Fate.Drop;
    return Fate.Answer;
  }

  function hang(req: IncomingMessage, b: ResolvedBehaviour, m: ModelCounters): void {
    stats.timeout(m);
    const socket = req.socket;
    const timer = setTimeout(() => socket.destroy(), b.hangMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  function fail(
    res: ServerResponse,
    m: ModelCounters,
    status: number,
    headers: OutgoingHttpHeaders,
    retryAfter: number,
  ) {
    if (gone(res)) return stats.aborted(m);
    if (status === 429) headers['retry-after'] = String(retryAfter);
    stats.answered(m, status);
    send(res, status, cachedErrorBody(status), headers);
  }

  /** Writes the headers and the first half of `body`, then destroys the connection. */
  function drop(
    res: ServerResponse,
    m: ModelCounters,
    status: number,
    body: string,
    headers: OutgoingHttpHeaders,
  ) {
    if (gone(res)) return stats.aborted(m);
    stats.drop(m);
    res.writeHead(status, headers);
    const socket = res.socket;
    res.write(body.slice(0, Math.max(1, body.length >> 1)), () => socket?.destroy());
  }

  function answerJson(
    res: ServerResponse,
    m: ModelCounters,
    fate: Fate,
    body: string,
    headers: OutgoingHttpHeaders,
    usage: UsageNumbers,
  ): void {
    if (gone(res)) return stats.aborted(m);
    if (fate === Fate.Drop) {
      headers['content-type'] = JSON_TYPE;
      headers['content-length'] = Buffer.byteLength(body);
      return drop(res, m, 200, body, headers);
    }
    stats.answered(m, 200);
    stats.usage(m, usage.prompt, usage.completion, usage.cached, usage.reasoning);
    send(res, 200, body, headers);
  }

  function answerStream(
    res: ServerResponse,
    m: ModelCounters,
    b: ResolvedBehaviour,
    fate: Fate,
    events: string[],
    headers: OutgoingHttpHeaders,
    usage: UsageNumbers,
    includeUsage: boolean,
  ): void {
    if (gone(res)) return stats.aborted(m);
    headers['content-type'] = SSE_TYPE;
    headers['cache-control'] = 'no-cache';
    if (fate === Fate.Drop) {
      const cut = Math.max(1, events.length >> 1);
      stats.drop(m);
      res.writeHead(200, headers);
      const socket = res.socket;
      res.write(events.slice(0, cut).join(''), () => socket?.destroy());
      return;
    }
    const finish = (): void => {
      stats.answered(m, 200);
      if (includeUsage) stats.usage(m, usage.prompt, usage.completion, usage.cached, usage.reasoning);
    };
    res.writeHead(200, headers);
    if (b.streamChunkDelayMs <= 0) {
      finish();
      res.end(events.join(''));
      return;
    }
    let next = 0;
    const step = (): void => {
      if (gone(res)) return stats.aborted(m);
      if (next === events.length - 1) {
        finish();
        res.end(events[next]);
        return;
      }
      res.write(events[next++]);
      setTimeout(step, b.streamChunkDelayMs).unref();
    };
    step();
  }

  /** Numbers the request, takes it from the rate limit, and returns its headers, or undefined when it was refused. */
  function admit(
    res: ServerResponse,
    m: ModelCounters,
    index: number,
    tokens: number,
  ): OutgoingHttpHeaders | undefined {
    const rl = limiter.take(tokens, Date.now());
    const headers = rateHeaders(rl);
    headers['x-request-id'] = `req_fake_${index}`;
    if (rl.admitted) return headers;
    headers['retry-after'] = String(Math.max(1, Math.ceil(rl.resetMs / 1000)));
    stats.answered(m, 429);
    const kind = rl.remainingRequests === 0 ? 'requests' : 'tokens';
    send(
      res,
      429,
      errorBody(429, `Rate limit reached for ${kind} (fake-llm, enforced). Please try again later.`),
      headers,
    );
    return undefined;
  }

  const failure = { status: 0 };

  function chat(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    const model = body['model'];
    if (typeof model !== 'string' || model.length === 0) {
      return reject(res, 400, errorBody(400, 'You must provide a model parameter.', 'model', null));
    }
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0) {
      return reject(res, 400, errorBody(400, "'messages' must be a non-empty array.", 'messages', null));
    }
    // `n` and `tools` are usually absent: then this is two property reads and the answer is built as before.
    const n = body['n'];
    let choices = 1;
    if (n !== undefined && n !== null) {
      const bad = badChoiceCount(n);
      if (bad !== undefined) return reject(res, 400, bad);
      choices = n as number;
    }
    const tools = body['tools'];
    const pick = tools === undefined ? undefined : pickTool(tools, body['tool_choice']);
    if (pick !== undefined && !pick.ok) {
      return reject(res, 400, errorBody(400, pick.message, pick.param, pick.code));
    }
    const m = stats.modelRequest(model);
    const b = cfg.byModel.get(model) ?? cfg.behaviour;
    const stream = body['stream'] === true;
    if (stream) stats.stream();
    const streamOptions = body['stream_options'];
    const includeUsage =
      stream &&
      streamOptions !== null &&
      typeof streamOptions === 'object' &&
      (streamOptions as { include_usage?: unknown }).include_usage === true;
    const prompt = b.promptTokens ?? estimateChatPromptTokens(messages);
    // Per choice (like max_tokens); usage sums the choices and counts the prompt once, as OpenAI does.
    // A tool call counts the same completion tokens a text answer would, so `completionTokens` and
    // `max_tokens` keep setting usage, and what the stats count is what `usage` says.
    const completion =
      b.completionTokens ??
      nonNegativeInt(body['max_completion_tokens']) ??
      nonNegativeInt(body['max_tokens']) ??
      b.defaultCompletionTokens;
    const usage: UsageNumbers = {
      prompt,
      completion: completion * choices,
      cached: Math.min(b.cachedTokens, prompt),
      reasoning: Math.min(b.reasoningTokens, completion) * choices,
    };
    const index = sequence++;
    const headers = admit(res, m, index, prompt + usage.completion);
    if (headers === undefined) return;
    const fate = fateOf(b, index, failure);
    if (fate === Fate.Hang) return hang(req, b, m);
    const latency = draw(b.latencyMin, b.latencyMax, uniform, index, SLOT_LATENCY);
    if (fate === Fate.Fail) {
      const status = failure.status;
      return later(latency, () => fail(res, m, status, headers, b.retryAfterSeconds));
    }
    const id = `chatcmpl-fake-${index}`;
    const created = Math.floor(Date.now() / 1000);
    let tool: ToolCallPlan | undefined;
    if (pick !== undefined) {
      const u = uniform(index, SLOT_TOOL_CALL);
      const ids: string[] = [];
      for (let i = 0; i < choices; i++) ids.push(toolCallId(u, index, i));
      tool = { name: pick.name, arguments: pick.arguments, ids };
    }
    if (!stream) {
      return later(latency, () =>
        answerJson(
          res,
          m,
          fate,
          chatCompletionBody(id, created, model, usage, choices, tool),
          headers,
          usage,
        ),
      );
    }
    const first =
      b.firstChunkMin === undefined || b.firstChunkMax === undefined
        ? latency
        : draw(b.firstChunkMin, b.firstChunkMax, uniform, index, SLOT_FIRST_CHUNK);
    later(first, () =>
      answerStream(
        res,
        m,
        b,
        fate,
        chatStreamEvents(id, created, model, usage, b.streamChunks, includeUsage, choices, tool),
        headers,
        usage,
        includeUsage,
      ),
    );
  }

  function embeddings(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    const model = body['model'];
    if (typeof model !== 'string' || model.length === 0) {
      return reject(res, 400, errorBody(400, 'You must provide a model parameter.', 'model', null));
    }
    const measured = measureEmbeddingInput(body['input']);
    if (measured === undefined) {
      return reject(
        res,
        400,
        errorBody(
          400,
          "'input' must be a string, an array of strings, or an array of token arrays.",
          'input',
          null,
        ),
      );
    }
    // "float" (or absent) sends numbers; "base64" the bytes OpenAI's SDKs ask for by default.
    const format = body['encoding_format'];
    const base64 = format === 'base64';
    if (!base64 && format !== undefined && format !== null && format !== 'float') {
      return reject(
        res,
        400,
        errorBody(
          400,
          `Invalid value for 'encoding_format': expected 'float' or 'base64', but got ${typeof format === 'string' ? JSON.stringify(format) : typeof format} instead.`,
          'encoding_format',
          'invalid_value',
        ),
      );
    }
    const requested = nonNegativeInt(body['dimensions']);
    const dimensions =
      requested !== undefined && requested > 0 && requested <= MAX_DIMENSIONS
        ? requested
        : cfg.embeddingDimensions;
    const m = stats.modelRequest(model);
    const b = cfg.byModel.get(model) ?? cfg.behaviour;
    const prompt = b.promptTokens ?? measured.tokens;
    const usage: UsageNumbers = { prompt, completion: 0, cached: 0, reasoning: 0 };
    const index = sequence++;
    const headers = admit(res, m, index, prompt);
    if (headers === undefined) return;
    const fate = fateOf(b, index, failure);
    if (fate === Fate.Hang) return hang(req, b, m);
    const latency = draw(b.latencyMin, b.latencyMax, uniform, index, SLOT_LATENCY);
    if (fate === Fate.Fail) {
      const status = failure.status;
      return later(latency, () => fail(res, m, status, headers, b.retryAfterSeconds));
    }
    later(latency, () =>
      answerJson(
        res,
        m,
        fate,
        embeddingsBody(model, measured.inputs, dimensions, prompt, base64),
        headers,
        usage,
      ),
    );
  }

  function onBody(req: IncomingMessage, res: ServerResponse, isChat: boolean, raw: Buffer): void {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reject(
        res,
        400,
        errorBody(
          400,
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
          null,
          null,
        ),
      );
    }
    if (authHeader !== undefined && req.headers.authorization !== authHeader) {
      return reject(res, 401, errorBody(401));
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return reject(res, 400, errorBody(400, 'The request body must be a JSON object.', null, null));
    }
    if (isChat) chat(req, res, body as Record<string, unknown>);
    else embeddings(req, res, body as Record<string, unknown>);
  }

  function readBody(req: IncomingMessage, res: ServerResponse, isChat: boolean): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > cfg.maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        return reject(
          res,
          413,
          errorBody(413, `Request body larger than ${cfg.maxBodyBytes} bytes.`, null, null),
        );
      }
      onBody(req, res, isChat, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', () => {
      // The client went away while sending; there is nobody to answer.
    });
  }

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method === 'POST') {
      if (path === '/v1/chat/completions' || path === '/chat/completions') {
        stats.api('chat');
        return readBody(req, res, true);
      }
      if (path === '/v1/embeddings' || path === '/embeddings') {
        stats.api('embeddings');
        return readBody(req, res, false);
      }
    }
    serveOther(res, req.method, path);
  });
  // Longer than the usual client keep-alive (undici 4 s, Node agents 1-5 s), so the server is never the
  // side that closes an idle connection while a client is about to reuse it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new Error(`fake-llm could not listen on ${cfg.host}:${cfg.port}: ${err.message}`, { cause: err }),
      );
    };
    server.once('error', onError);
    server.listen({ host: cfg.host, port: cfg.port, backlog: 2048 }, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost =
    cfg.host === '0.0.0.0'
      ? '127.0.0.1'
      : cfg.host === '::'
        ? '[::1]'
        : cfg.host.includes(':')
          ? `[${cfg.host}]`
          : cfg.host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    stats: () => stats.snapshot(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// The call to an OpenAI-compatible upstream: POST with the deployment's model and key, bounded by the
// deployment's timeout (to the whole body, or to the first streamed chunk), errors classified as LiteLLM
// classifies them (status -> class; timeout -> Timeout 408; connection failure -> APIConnectionError 500),
// and the provider's `x-ratelimit-remaining-*` headers read.

import type { Deployment } from './config.js';
import { classNameForStatus, proxyError, type ProxyError } from './errors.js';

export interface UpstreamRateLimits {
  remainingRequests?: number;
  remainingTokens?: number;
}

export interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number; audio_tokens?: number } | null;
}

export type UpstreamResult =
  | {
      ok: true;
      /** Non-streaming: the whole body (text, as received) and its parsed usage. */
      body?: string;
      usage?: OpenAiUsage;
      /** Streaming: the body's reader after the first chunk, and that first chunk. */
      reader?: ReadableStreamDefaultReader<Uint8Array>;
      firstChunk?: Uint8Array;
      /** When the first chunk arrived (ms since epoch). */
      firstChunkAt?: number;
      rateLimits: UpstreamRateLimits;
      cancel: () => void;
    }
  | { ok: false; error: ProxyError };

function headerNumber(h: Headers, name: string): number | undefined {
  const v = h.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

async function upstreamHttpError(res: Response, provider: string): Promise<ProxyError> {
  let message = `upstream answered ${res.status}`;
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text) as { error?: { message?: unknown } | string };
      const m = typeof j.error === 'string' ? j.error : j.error?.message;
      if (typeof m === 'string' && m.length > 0) message = m;
    } catch {
      if (text.length > 0) message = text.slice(0, 500);
    }
  } catch {
    // body unreadable: keep the status message
  }
  const status = res.status >= 400 ? res.status : 500;
  return proxyError(status, `litellm.${classNameForStatus(status)}: ${provider}Exception - ${message}`, {
    provider,
  });
}

function thrownError(e: unknown, timedOut: boolean, provider: string, timeoutMs: number): ProxyError {
  if (timedOut) {
    return proxyError(408, `litellm.Timeout: Connection timed out after ${timeoutMs / 1000} seconds.`, {
      provider,
      className: 'Timeout',
      type: 'timeout',
    });
  }
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return proxyError(500, `litellm.APIConnectionError: ${provider}Exception - Connection error: ${detail}`, {
    provider,
    className: 'APIConnectionError',
  });
}

/**
 * Calls `<api_base><path>` with `body` (the client's body with `model` replaced). Streaming calls
 * resolve after the first chunk (so a failure before it can still fall back); never rejects.
 */
export async function callUpstream(
  d: Deployment,
  path: '/chat/completions' | '/embeddings',
  body: Record<string, unknown>,
  stream: boolean,
): Promise<UpstreamResult> {
  const controller = new AbortController();
  const timeoutMs = stream ? d.streamTimeoutMs : d.timeoutMs;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const cancel = () => {
    clearTimeout(timer);
    controller.abort();
  };
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (d.apiKey) headers.authorization = `Bearer ${d.apiKey}`;
    const res = await fetch(`${d.apiBase}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, model: d.upstreamModel }),
      signal: controller.signal,
    });
    if (res.status < 200 || res.status >= 300) {
      const error = await upstreamHttpError(res, d.provider);
      clearTimeout(timer);
      return { ok: false, error };
    }
    const rateLimits: UpstreamRateLimits = {
      remainingRequests: headerNumber(res.headers, 'x-ratelimit-remaining-requests'),
      remainingTokens: headerNumber(res.headers, 'x-ratelimit-remaining-tokens'),
    };
    if (!stream) {
      const text = await res.text();
      clearTimeout(timer);
      let usage: OpenAiUsage | undefined;
      try {
        const parsed = JSON.parse(text) as { usage?: OpenAiUsage; error?: unknown };
        if (parsed.error !== undefined && parsed.error !== null) {
          return {
            ok: false,
            error: proxyError(500, `upstream returned an error body: ${text.slice(0, 300)}`, {
              provider: d.provider,
            }),
          };
        }
        usage = parsed.usage;
      } catch {
        return {
          ok: false,
          error: proxyError(500, `litellm.APIError: ${d.provider}Exception - upstream body is not JSON`, {
            provider: d.provider,
            className: 'APIError',
          }),
        };
      }
      return { ok: true, body: text, usage, rateLimits, cancel };
    }
    if (!res.body) {
      clearTimeout(timer);
      return {
        ok: false,
        error: proxyError(500, 'upstream stream has no body', {
          provider: d.provider,
          className: 'APIError',
        }),
      };
    }
    const reader = res.body.getReader();
    const first = await reader.read();
    const firstChunkAt = Date.now();
    clearTimeout(timer);
    if (first.done || !first.value) {
      return {
        ok: false,
        error: proxyError(500, `litellm.APIError: ${d.provider}Exception - empty stream`, {
          provider: d.provider,
          className: 'APIError',
        }),
      };
    }
    return { ok: true, reader, firstChunk: first.value, firstChunkAt, rateLimits, cancel };
  } catch (e) {
    clearTimeout(timer);
    return { ok: false, error: thrownError(e, timedOut, d.provider, timeoutMs) };
  }
}

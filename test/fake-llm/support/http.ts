// Small HTTP helpers for the fake-llm tests: real requests over 127.0.0.1, bounded by timeouts.

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export async function post(url: string, body: unknown, init: RequestInit = {}): Promise<JsonAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // SSE or empty: left to the caller
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export async function get(url: string): Promise<JsonAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Splits an SSE body into its `data:` payloads; `[DONE]` is kept as the string. */
export function sseData(text: string): unknown[] {
  const out: unknown[] = [];
  for (const event of text.split('\n\n')) {
    if (event.trim() === '') continue;
    if (!event.startsWith('data: ')) throw new Error(`not an SSE data event: ${JSON.stringify(event)}`);
    const data = event.slice('data: '.length);
    out.push(data === '[DONE]' ? data : JSON.parse(data));
  }
  return out;
}

export const chatBody = (model: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model,
  messages: [{ role: 'user', content: 'x'.repeat(40) }],
  ...extra,
});

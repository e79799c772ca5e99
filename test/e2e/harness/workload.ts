// The client side of an e2e run: chat requests through the proxy, bounded in number and time, and the
// client's own tally of what it sent and got back (status, usage, cost, when it completed). The
// expected metric values are computed from this tally, never from the proxy's own numbers.

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatOutcome {
  /** Request index within its load. */
  index: number;
  model: string;
  key: string;
  stream: boolean;
  /** HTTP status, or 0 when the connection failed (no answer: e.g. its worker was killed). */
  status: number;
  /** Error text of a connection failure, or the OpenAI error message of a non-200 answer. */
  error?: string;
  usage?: Usage;
  /** `x-litellm-response-cost` of a JSON answer (streams do not carry it). */
  headerCost?: number;
  /** ms since the epoch when the client had the whole answer (or the failure). */
  doneAt: number;
}

export interface ChatRequest {
  model: string;
  key: string;
  stream?: boolean;
  content: string;
  maxTokens: number;
}

/** One chat request; streams are read to the end. Never throws: a failure is an outcome. */
export async function chat(
  proxyUrl: string,
  index: number,
  req: ChatRequest,
  timeoutMs = 30_000,
): Promise<ChatOutcome> {
  const base = { index, model: req.model, key: req.key, stream: req.stream === true };
  const body = {
    model: req.model,
    messages: [{ role: 'user', content: req.content }],
    max_tokens: req.maxTokens,
    ...(req.stream === true ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
  try {
    const res = await fetch(`${proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${req.key}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const doneAt = Date.now();
    if (res.status !== 200) {
      let error = text;
      try {
        error = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // keep the text
      }
      return { ...base, status: res.status, error, doneAt };
    }
    if (req.stream === true) {
      let usage: Usage | undefined;
      let streamError: string | undefined;
      for (const ev of text.split('\n\n')) {
        const d = ev.replace(/^data:\s*/, '').trim();
        if (d === '' || d === '[DONE]') continue;
        const j = JSON.parse(d) as { usage?: Usage; error?: { message: string } };
        if (j.usage) usage = j.usage;
        if (j.error) streamError = j.error.message;
      }
      // A failure in the middle of a stream is a 200 with an error event: LiteLLM counts it failed (500).
      if (streamError !== undefined) return { ...base, status: 500, error: streamError, doneAt };
      return { ...base, status: 200, usage, doneAt };
    }
    const j = JSON.parse(text) as { usage?: Usage };
    const cost = res.headers.get('x-litellm-response-cost');
    return {
      ...base,
      status: 200,
      usage: j.usage,
      headerCost: cost === null ? undefined : Number(cost),
      doneAt,
    };
  } catch (e) {
    return {
      ...base,
      status: 0,
      error: e instanceof Error ? `${e.message} ${String(e.cause ?? '')}` : String(e),
      doneAt: Date.now(),
    };
  }
}

/** Runs `n` tasks with at most `concurrency` at once (bounded: exactly `n` tasks). */
export async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

export interface Prices {
  input: number;
  output: number;
}

export interface Tally {
  sent: number;
  /** Answered by the proxy (any status). */
  answered: number;
  ok: number;
  /** Answered with a non-200 status (or a stream error event). */
  failed: number;
  /** No answer at all (connection failure). */
  connectionErrors: number;
  failedByStatus: Map<number, number>;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Sum of prompt × input price + completion × output price over the successes. */
  spend: number;
  streamedOk: number;
}

/** The client's totals over some outcomes. */
export function tally(outcomes: readonly ChatOutcome[], prices: Prices): Tally {
  const t: Tally = {
    sent: outcomes.length,
    answered: 0,
    ok: 0,
    failed: 0,
    connectionErrors: 0,
    failedByStatus: new Map(),
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    spend: 0,
    streamedOk: 0,
  };
  for (const o of outcomes) {
    if (o.status === 0) {
      t.connectionErrors++;
      continue;
    }
    t.answered++;
    if (o.status !== 200) {
      t.failed++;
      t.failedByStatus.set(o.status, (t.failedByStatus.get(o.status) ?? 0) + 1);
      continue;
    }
    t.ok++;
    if (o.stream) t.streamedOk++;
    if (o.usage === undefined) throw new Error(`request ${o.index}: a 200 answer without usage`);
    t.promptTokens += o.usage.prompt_tokens;
    t.completionTokens += o.usage.completion_tokens;
    t.totalTokens += o.usage.total_tokens;
    t.spend += o.usage.prompt_tokens * prices.input + o.usage.completion_tokens * prices.output;
  }
  return t;
}

// What the fake upstream answered, counted so an end-to-end test can compare the proxy's metrics with
// what the upstream really did. Counted on the API endpoints (POST /v1/chat/completions and
// POST /v1/embeddings) only; every other request counts in `otherRequests`.

/** Counters of one model name. */
export interface FakeLlmModelStats {
  requests: number;
  /** Complete answers by HTTP status. */
  byStatus: Record<string, number>;
  timeouts: number;
  drops: number;
  aborted: number;
  promptTokens: number;
  completionTokens: number;
}

/** Everything the server answered since it started. `stats()` and `GET /__stats` return this. */
export interface FakeLlmStats {
  /** Requests to the API endpoints, whatever came of them (bad JSON and rejected ones included). */
  requests: number;
  /** Of `requests`: to POST /v1/chat/completions. */
  chatCompletions: number;
  /** Of `chatCompletions`: valid requests with `stream: true`. */
  streams: number;
  /** Of `requests`: to POST /v1/embeddings. */
  embeddings: number;
  /** Complete answers (the last byte written) by HTTP status, e.g. `{ "200": 97, "429": 3 }`. */
  byStatus: Record<string, number>;
  /** Requests chosen to hang (never answered; the socket is closed after `hangMs` or by the client). */
  timeouts: number;
  /** Answers whose connection the server destroyed in the middle (headers and part of the body sent). */
  drops: number;
  /** Requests whose client went away before the answer was complete (not counted in `byStatus`). */
  aborted: number;
  /** Sums over the `usage` objects sent in complete answers (a stream sends one only with `include_usage`). */
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** The same per request `model` (at most 1000 names; more go under `(other)`). */
  byModel: Record<string, FakeLlmModelStats>;
  /** Requests to every other path (health, models, stats, unknown). */
  otherRequests: number;
}

/** One model's mutable counters; the hot path holds it for the request's lifetime. */
export interface ModelCounters {
  requests: number;
  byStatus: Map<number, number>;
  timeouts: number;
  drops: number;
  aborted: number;
  promptTokens: number;
  completionTokens: number;
}

export interface StatsRecorder {
  api(kind: 'chat' | 'embeddings'): void;
  stream(): void;
  other(): void;
  /** Counts one request for a model name and returns its counters (created on first use). */
  modelRequest(name: string): ModelCounters;
  answered(model: ModelCounters | undefined, status: number): void;
  usage(model: ModelCounters, prompt: number, completion: number, cached: number, reasoning: number): void;
  timeout(model: ModelCounters): void;
  drop(model: ModelCounters): void;
  aborted(model: ModelCounters): void;
  snapshot(): FakeLlmStats;
}

const MAX_MODELS = 1000;
const OTHER_MODEL = '(other)';

function newModel(): ModelCounters {
  return {
    requests: 0,
    byStatus: new Map(),
    timeouts: 0,
    drops: 0,
    aborted: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
}

function statusRecord(m: Map<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...m].sort((a, b) => a[0] - b[0])) out[String(k)] = v;
  return out;
}

export function createStatsRecorder(): StatsRecorder {
  const s = {
    requests: 0,
    chatCompletions: 0,
    streams: 0,
    embeddings: 0,
    byStatus: new Map<number, number>(),
    timeouts: 0,
    drops: 0,
    aborted: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    otherRequests: 0,
  };
  const models = new Map<string, ModelCounters>();
  return {
    api(kind) {
      s.requests += 1;
      if (kind === 'chat') s.chatCompletions += 1;
      else s.embeddings += 1;
    },
    stream() {
      s.streams += 1;
    },
    other() {
      s.otherRequests += 1;
    },
    modelRequest(name) {
      let m = models.get(name);
      if (m === undefined) {
        const key = models.size >= MAX_MODELS ? OTHER_MODEL : name;
        m = models.get(key);
        if (m === undefined) {
          m = newModel();
          models.set(key, m);
        }
      }
      m.requests += 1;
      return m;
    },
    answered(model, status) {
      s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1);
      if (model !== undefined) model.byStatus.set(status, (model.byStatus.get(status) ?? 0) + 1);
    },
    usage(model, prompt, completion, cached, reasoning) {
      s.promptTokens += prompt;
      s.completionTokens += completion;
      s.cachedTokens += cached;
      s.reasoningTokens += reasoning;
      model.promptTokens += prompt;
      model.completionTokens += completion;
    },
    timeout(model) {
      s.timeouts += 1;
      model.timeouts += 1;
    },
    drop(model) {
      s.drops += 1;
      model.drops += 1;
    },
    aborted(model) {
      s.aborted += 1;
      model.aborted += 1;
    },
    snapshot() {
      const byModel: Record<string, FakeLlmModelStats> = {};
      for (const [name, m] of models) {
        byModel[name] = {
          requests: m.requests,
          byStatus: statusRecord(m.byStatus),
          timeouts: m.timeouts,
          drops: m.drops,
          aborted: m.aborted,
          promptTokens: m.promptTokens,
          completionTokens: m.completionTokens,
        };
      }
      return {
        requests: s.requests,
        chatCompletions: s.chatCompletions,
        streams: s.streams,
        embeddings: s.embeddings,
        byStatus: statusRecord(s.byStatus),
        timeouts: s.timeouts,
        drops: s.drops,
        aborted: s.aborted,
        promptTokens: s.promptTokens,
        completionTokens: s.completionTokens,
        totalTokens: s.promptTokens + s.completionTokens,
        cachedTokens: s.cachedTokens,
        reasoningTokens: s.reasoningTokens,
        byModel,
        otherRequests: s.otherRequests,
      };
    },
  };
}

// The fake upstream's options, validated once at start (zod). Every error names the key and the reason.
// A "behaviour" (latency, tokens, faults) applies to every model; `modelOverrides` and `failModels`
// replace parts of it for one model name. Everything is resolved here so the hot path only reads fields.

import { z } from 'zod';

/** A configuration error: the option that is wrong, and why. */
export class FakeLlmConfigError extends Error {
  readonly code = 'LOM_ERR_FAKE_LLM_CONFIG';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid fake-llm option ${key}: ${reason}`);
    this.name = 'FakeLlmConfigError';
  }
}

/** A delay in milliseconds: fixed, or drawn uniformly from `[min, max]` for each request. */
export type DelayMs = number | { min: number; max: number };

/** What a model does: latency, token counts, streaming pace and injected faults. */
export interface FakeLlmBehaviour {
  /** Wait before the answer starts (the whole JSON, an error, or the first stream chunk). Default 0. */
  latencyMs?: DelayMs;
  /** Wait before the first stream chunk (headers go with it); replaces `latencyMs` for streams. Default: `latencyMs`. */
  firstChunkDelayMs?: DelayMs;
  /** Wait between two stream chunks. Default 0 (the whole stream is written at once). */
  streamChunkDelayMs?: number;
  /** Content chunks of a stream (at most one per completion token). Default 8. */
  streamChunks?: number;
  /** Fixed prompt tokens in `usage`. Default: derived, ceil(characters of the messages / 4). */
  promptTokens?: number;
  /** Fixed completion tokens in `usage`. Default: the request's `max_tokens` (or `max_completion_tokens`), else `defaultCompletionTokens`. */
  completionTokens?: number;
  /** Completion tokens when the request sets no `max_tokens`. Default 16. */
  defaultCompletionTokens?: number;
  /** `usage.prompt_tokens_details.cached_tokens` (capped at the prompt tokens). Default 0. */
  cachedTokens?: number;
  /** `usage.completion_tokens_details.reasoning_tokens` (capped at the completion tokens). Default 0. */
  reasoningTokens?: number;
  /** Share of requests answered with an error status from `failureStatuses`. Default 0. */
  failureRate?: number;
  /** Statuses of injected failures, one picked uniformly per failure. Default [429, 500, 503]. */
  failureStatuses?: number[];
  /** `Retry-After` (seconds) sent with every 429. Default 1. */
  retryAfterSeconds?: number;
  /** Share of requests never answered: the socket is closed after `hangMs`. Default 0. */
  timeoutRate?: number;
  /** How long a "timeout" request hangs before the server closes its socket. Default 30000. */
  hangMs?: number;
  /** Share of requests whose connection is destroyed in the middle of the answer. Default 0. */
  dropRate?: number;
}

/** Options of {@link startFakeLlm}. Every field is optional; the defaults are listed per field. */
export interface FakeLlmOptions extends FakeLlmBehaviour {
  /** Listen address. Default `127.0.0.1`. */
  host?: string;
  /** Listen port; 0 picks a free one. Default 0 (the CLI's default is 8090). */
  port?: number;
  /** Makes every random draw a function of (seed, request number), so runs repeat. Default: unseeded. */
  seed?: number;
  /** Models that always fail with the given status, e.g. `{ "bad-model": 500 }`. Default none. */
  failModels?: Record<string, number>;
  /** Behaviour replaced field by field for one model name. Default none. */
  modelOverrides?: Record<string, FakeLlmBehaviour>;
  /** Model ids listed by `GET /v1/models` (any model name is served). Default ["fake-model", "fake-embedding"]. */
  models?: string[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). Default: any or none accepted. */
  apiKey?: string;
  /** `x-ratelimit-limit-requests`: requests per one-minute window. Default 10000. */
  rateLimitRequests?: number;
  /** `x-ratelimit-limit-tokens`: prompt + completion tokens per one-minute window. Default 10000000. */
  rateLimitTokens?: number;
  /** Answer 429 (with `Retry-After`) once a window's requests or tokens are used up. Default false. */
  enforceRateLimits?: boolean;
  /** Length of embedding vectors when the request sets no `dimensions`. Default 8. */
  embeddingDimensions?: number;
  /** Largest accepted request body in bytes (larger: 413). Default 10485760 (10 MiB). */
  maxBodyBytes?: number;
}

/** A behaviour with every field resolved. Delays are `[min, max]` (equal when fixed). */
export interface ResolvedBehaviour {
  latencyMin: number;
  latencyMax: number;
  /** Undefined: streams use the latency draw. */
  firstChunkMin: number | undefined;
  firstChunkMax: number | undefined;
  streamChunkDelayMs: number;
  streamChunks: number;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
  defaultCompletionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  failureRate: number;
  failureStatuses: number[];
  retryAfterSeconds: number;
  timeoutRate: number;
  hangMs: number;
  dropRate: number;
  /** Set for a model listed in `failModels`: every request fails with this status. */
  failStatus: number | undefined;
}

export interface ResolvedFakeLlmOptions {
  host: string;
  port: number;
  seed: number | undefined;
  behaviour: ResolvedBehaviour;
  /** Per model name; models not listed use `behaviour`. */
  byModel: Map<string, ResolvedBehaviour>;
  models: string[];
  apiKey: string | undefined;
  rateLimitRequests: number;
  rateLimitTokens: number;
  enforceRateLimits: boolean;
  embeddingDimensions: number;
  maxBodyBytes: number;
}

const MAX_TIMER_MS = 2_147_483_647;

const millis = z.number().nonnegative('must be >= 0').max(MAX_TIMER_MS, `must be <= ${MAX_TIMER_MS}`);
const delay = z.union([
  millis,
  z
    .object({ min: millis, max: millis })
    .strict()
    .refine((r) => r.min <= r.max, 'min must be <= max'),
]);
const count = z.number().int('must be an integer').nonnegative('must be >= 0');
const rate = z.number().min(0, 'must be >= 0').max(1, 'must be <= 1');
const errorStatus = z
  .number()
  .int('must be an integer')
  .min(400, 'must be >= 400')
  .max(599, 'must be <= 599');

const behaviourShape = {
  latencyMs: delay.optional(),
  firstChunkDelayMs: delay.optional(),
  streamChunkDelayMs: millis.optional(),
  streamChunks: count.min(1, 'must be >= 1').max(10_000, 'must be <= 10000').optional(),
  promptTokens: count.optional(),
  completionTokens: count.optional(),
  defaultCompletionTokens: count.optional(),
  cachedTokens: count.optional(),
  reasoningTokens: count.optional(),
  failureRate: rate.optional(),
  failureStatuses: z.array(errorStatus).min(1, 'must list at least one status').optional(),
  retryAfterSeconds: count.optional(),
  timeoutRate: rate.optional(),
  hangMs: millis.optional(),
  dropRate: rate.optional(),
};

const behaviourSchema = z.object(behaviourShape).strict();

const optionsSchema = z
  .object({
    ...behaviourShape,
    host: z.string().min(1, 'must not be empty').optional(),
    port: z
      .number()
      .int('must be an integer')
      .min(0, 'must be >= 0')
      .max(65535, 'must be <= 65535')
      .optional(),
    seed: z.number().int('must be an integer').optional(),
    failModels: z.record(z.string().min(1, 'model names must not be empty'), errorStatus).optional(),
    modelOverrides: z.record(z.string().min(1, 'model names must not be empty'), behaviourSchema).optional(),
    models: z.array(z.string().min(1, 'must not be empty')).optional(),
    apiKey: z.string().min(1, 'must not be empty').optional(),
    rateLimitRequests: count.min(1, 'must be >= 1').optional(),
    rateLimitTokens: count.min(1, 'must be >= 1').optional(),
    enforceRateLimits: z.boolean().optional(),
    embeddingDimensions: count.min(1, 'must be >= 1').max(65_536, 'must be <= 65536').optional(),
    maxBodyBytes: count.min(1, 'must be >= 1').optional(),
  })
  .strict();

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_CLI_PORT = 8090;
export const DEFAULT_FAILURE_STATUSES: readonly number[] = [429, 500, 503];
export const DEFAULT_HANG_MS = 30_000;
export const DEFAULT_MODELS: readonly string[] = ['fake-model', 'fake-embedding'];

function pathToKey(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

function range(d: DelayMs | undefined): [number, number] | undefined {
  if (d === undefined) return undefined;
  return typeof d === 'number' ? [d, d] : [d.min, d.max];
}

function resolveBehaviour(
  o: FakeLlmBehaviour,
  base: ResolvedBehaviour | undefined,
  keyPrefix: string,
): ResolvedBehaviour {
  const latency = range(o.latencyMs);
  const first = range(o.firstChunkDelayMs);
  const r: ResolvedBehaviour = {
    latencyMin: latency?.[0] ?? base?.latencyMin ?? 0,
    latencyMax: latency?.[1] ?? base?.latencyMax ?? 0,
    firstChunkMin: first ? first[0] : base?.firstChunkMin,
    firstChunkMax: first ? first[1] : base?.firstChunkMax,
    streamChunkDelayMs: o.streamChunkDelayMs ?? base?.streamChunkDelayMs ?? 0,
    streamChunks: o.streamChunks ?? base?.streamChunks ?? 8,
    promptTokens: o.promptTokens ?? base?.promptTokens,
    completionTokens: o.completionTokens ?? base?.completionTokens,
    defaultCompletionTokens: o.defaultCompletionTokens ?? base?.defaultCompletionTokens ?? 16,
    cachedTokens: o.cachedTokens ?? base?.cachedTokens ?? 0,
    reasoningTokens: o.reasoningTokens ?? base?.reasoningTokens ?? 0,
    failureRate: o.failureRate ?? base?.failureRate ?? 0,
    failureStatuses: o.failureStatuses ?? base?.failureStatuses ?? [...DEFAULT_FAILURE_STATUSES],
    retryAfterSeconds: o.retryAfterSeconds ?? base?.retryAfterSeconds ?? 1,
    timeoutRate: o.timeoutRate ?? base?.timeoutRate ?? 0,
    hangMs: o.hangMs ?? base?.hangMs ?? DEFAULT_HANG_MS,
    dropRate: o.dropRate ?? base?.dropRate ?? 0,
    failStatus: undefined,
  };
  // The three fault shares are slices of one draw, so together they must fit in [0, 1].
  if (r.failureRate + r.timeoutRate + r.dropRate > 1 + 1e-9) {
    throw new FakeLlmConfigError(
      `${keyPrefix}failureRate`,
      `failureRate + timeoutRate + dropRate must be <= 1 (got ${r.failureRate} + ${r.timeoutRate} + ${r.dropRate})`,
    );
  }
  return r;
}

/** Applies the defaults and validates; throws {@link FakeLlmConfigError} naming the first bad key. */
export function resolveFakeLlmOptions(options: FakeLlmOptions = {}): ResolvedFakeLlmOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new FakeLlmConfigError('(options)', 'must be an object');
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = pathToKey(issue.path);
    if (issue.code === 'unrecognized_keys') {
      throw new FakeLlmConfigError(at ? `${at}.${issue.keys[0]!}` : issue.keys[0]!, 'is not a known option');
    }
    throw new FakeLlmConfigError(at || '(options)', issue.message);
  }
  const o = parsed.data;
  const behaviour = resolveBehaviour(o, undefined, '');
  const byModel = new Map<string, ResolvedBehaviour>();
  for (const [model, override] of Object.entries(o.modelOverrides ?? {})) {
    byModel.set(model, resolveBehaviour(override, behaviour, `modelOverrides.${model}.`));
  }
  for (const [model, status] of Object.entries(o.failModels ?? {})) {
    const b = byModel.get(model) ?? { ...behaviour };
    b.failStatus = status;
    byModel.set(model, b);
  }
  return {
    host: o.host ?? DEFAULT_HOST,
    port: o.port ?? 0,
    seed: o.seed,
    behaviour,
    byModel,
    models: o.models ?? [...DEFAULT_MODELS],
    apiKey: o.apiKey,
    rateLimitRequests: o.rateLimitRequests ?? 10_000,
    rateLimitTokens: o.rateLimitTokens ?? 10_000_000,
    enforceRateLimits: o.enforceRateLimits ?? false,
    embeddingDimensions: o.embeddingDimensions ?? 8,
    maxBodyBytes: o.maxBodyBytes ?? 10 * 1024 * 1024,
  };
}

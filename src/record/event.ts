// The input of the recorder: one typed object per proxy request, modeled on LiteLLM's
// StandardLoggingPayload (plus the UserAPIKeyAuth fields its failure hook reads), so a proxy fills one
// object and hands it over. Every field is optional: a missing value is exported as LiteLLM exports
// it (the string "None"), and a bad value is dropped with a diagnostic, never thrown.

/** Who made the request: the virtual key and what it belongs to. */
export interface RequestIdentity {
  /**
   * sha256 hex of the virtual key, as LiteLLM stores it (`user_api_key_hash`). A value that is not 64 hex
   * characters is taken for a raw key given by mistake and hashed; a raw key is never exported.
   */
  hashedApiKey?: string | null;
  /** The raw virtual key; hashed (sha256 hex) before it becomes a label value. */
  apiKey?: string | null;
  apiKeyAlias?: string | null;
  team?: string | null;
  teamAlias?: string | null;
  user?: string | null;
  userEmail?: string | null;
  /** The end-user id (see `getEndUserId`); exported only when end-user tracking is on. */
  endUser?: string | null;
  orgId?: string | null;
  orgAlias?: string | null;
}

/** Which deployment served (or failed) the call. */
export interface DeploymentInfo {
  /** LiteLLM's model group, the name the client asked for (`requested_model`, `model_group`). */
  requestedModel?: string | null;
  /** The provider's model name LiteLLM called (`model`, `litellm_model_name`), e.g. `gpt-4o`. */
  model?: string | null;
  /** The deployment id (`model_info.id`). */
  modelId?: string | null;
  apiBase?: string | null;
  /** LiteLLM's `custom_llm_provider`, e.g. `openai`. */
  apiProvider?: string | null;
}

/** Where the request came from. */
export interface RequestOrigin {
  /** The proxy route, e.g. `/v1/chat/completions`. */
  route?: string | null;
  clientIp?: string | null;
  userAgent?: string | null;
  /** Request metadata, read by `custom_prometheus_metadata_labels` (dotted paths). */
  metadata?: Record<string, unknown> | null;
  /** Request tags, read by `custom_prometheus_tags`. */
  tags?: readonly string[] | null;
}

/** Token counts as the provider reported them in `usage`. */
export interface TokenUsage {
  promptTokens?: number | null;
  completionTokens?: number | null;
  totalTokens?: number | null;
  /** `prompt_tokens_details.cached_tokens` (Anthropic: `cache_read_input_tokens`). */
  cachedInputTokens?: number | null;
  /** `prompt_tokens_details.cache_creation_tokens` (Anthropic: `cache_creation_input_tokens`). */
  cacheCreationInputTokens?: number | null;
  /** `prompt_tokens_details.audio_tokens`. */
  inputAudioTokens?: number | null;
  /** `completion_tokens_details.reasoning_tokens`. */
  reasoningTokens?: number | null;
  /** `completion_tokens_details.audio_tokens`. */
  outputAudioTokens?: number | null;
}

/**
 * Times of the request's life, in milliseconds since the epoch (`Date.now()` or
 * `performance.timeOrigin + performance.now()`).
 */
export interface RequestTimings {
  /** The request reached the proxy. */
  startTime?: number | null;
  /** The call to the LLM API began. */
  apiCallStartTime?: number | null;
  /** The first streamed chunk arrived (streaming only). */
  completionStartTime?: number | null;
  /** The response was complete. */
  endTime?: number | null;
  /** Seconds spent queued before pre-call processing (`metadata.queue_time_seconds`). */
  queueTimeSeconds?: number | null;
  /** Milliseconds the proxy itself added (`hidden_params.litellm_overhead_time_ms`). */
  overheadMs?: number | null;
}

/** An error as LiteLLM labels it. */
export interface RequestError {
  /** HTTP status (or provider code) of the exception; exported as a string, "None" when absent. */
  status?: number | string | null;
  /** The provider that raised it (`llm_provider`); becomes the `Provider.` prefix of exception_class. */
  provider?: string | null;
  /** The exception's class name, e.g. `RateLimitError`. */
  className?: string | null;
  message?: string | null;
}

/** Remaining-budget state of one budget holder at the time of the request. */
export interface BudgetState {
  /** Spend so far, in USD, including this request. */
  spend?: number | null;
  /** The budget; `null`/absent means no budget (remaining is exported as +Inf). */
  maxBudget?: number | null;
  /** When the budget resets, ms since the epoch. */
  resetAt?: number | null;
}

/** Budget values carried by a request, one entry per holder LiteLLM tracks. */
export interface RequestBudgets {
  team?: BudgetState | null;
  apiKey?: BudgetState | null;
  user?: BudgetState | null;
  org?: BudgetState | null;
  /** The end user (customer); recorded only when end-user tracking is on. */
  customer?: BudgetState | null;
}

/** Rate-limit state seen on the call. */
export interface RateLimitState {
  /** Provider header `x-ratelimit-remaining-requests`. */
  remainingRequests?: number | null;
  /** Provider header `x-ratelimit-remaining-tokens`. */
  remainingTokens?: number | null;
  /** The virtual key's remaining requests for this model (model-based rpm limit on the key). */
  keyRemainingRequests?: number | null;
  /** The virtual key's remaining tokens for this model (model-based tpm limit on the key). */
  keyRemainingTokens?: number | null;
  /** The deployment's configured rpm limit. */
  deploymentRpmLimit?: number | null;
  /** The deployment's configured tpm limit. */
  deploymentTpmLimit?: number | null;
}

/** One proxy request, the unit the recorder records. */
export interface RequestEvent extends RequestIdentity, DeploymentInfo, RequestOrigin {
  /** The kind of call, for the GenAI metrics' `gen_ai.operation.name` (default `chat`). */
  operation?: 'chat' | 'embeddings' | 'text_completion' | string | null;
  /** Whether the response was streamed. */
  stream?: boolean | null;
  /**
   * The model the client asked for, when a fallback group answered (`requestedModel` is then that
   * group). LiteLLM counts a non-streaming success in `litellm_proxy_total_requests_metric` from its
   * post-call hook, which reads the request's own `model`: that family gets this value; every other
   * family, and streaming successes (counted from the logging event, by model group), keep
   * `requestedModel`.
   */
  proxyRequestedModel?: string | null;
  usage?: TokenUsage | null;
  timings?: RequestTimings | null;
  /** Cost of the call in USD (`response_cost`). */
  responseCost?: number | null;
  /** LiteLLM cache outcome: true hit, false miss, absent when no cache was consulted. */
  cacheHit?: boolean | null;
  /** The error, for failure events. */
  error?: RequestError | null;
  rateLimits?: RateLimitState | null;
  budgets?: RequestBudgets | null;
}

/** A router fallback from one model group to another. */
export interface FallbackEvent extends RequestIdentity {
  /** The original model group. */
  requestedModel?: string | null;
  /** The model group fallen back to. */
  fallbackModel?: string | null;
  /** The exception that caused the fallback. */
  error?: RequestError | null;
}

/** A deployment put in cooldown by the router. */
export interface CooldownEvent {
  model?: string | null;
  modelId?: string | null;
  apiBase?: string | null;
  apiProvider?: string | null;
  /** Status of the exception that caused the cooldown. */
  exceptionStatus?: number | string | null;
}

/** One guardrail invocation. */
export interface GuardrailEvent {
  guardrailName?: string | null;
  latencySeconds?: number | null;
  status?: 'success' | 'error' | null;
  /** Error kind; exported as "none" when absent, as LiteLLM does. */
  errorType?: string | null;
  hookType?: 'pre_call' | 'during_call' | 'post_call' | string | null;
}

/** Deployment health as LiteLLM reports it: 0 healthy, 1 partial outage, 2 complete outage. */
export type DeploymentState = 0 | 1 | 2;

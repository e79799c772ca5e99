// A fixed, representative sequence of request events (the golden sequence): every hook of the recorder,
// with values that exercise every catalog family.

import type { Recorder } from '../../src/record/recorder.js';
import type { RequestEvent } from '../../src/record/event.js';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const KEY = 'sk-test-golden-key';
const identity = {
  apiKey: KEY,
  apiKeyAlias: 'golden-key',
  team: 'team-1',
  teamAlias: 'Team One',
  user: 'user-1',
  userEmail: 'user1@example.com',
  endUser: 'customer-42',
  orgId: 'org-1',
  orgAlias: 'Org One',
  route: '/v1/chat/completions',
  clientIp: '127.0.0.1',
  userAgent: 'golden-client/1.0',
} satisfies Partial<RequestEvent>;

const gpt = {
  requestedModel: 'gpt-4o',
  model: 'gpt-4o-2024-08-06',
  modelId: 'deploy-gpt-1',
  apiBase: 'http://127.0.0.1:9999/v1',
  apiProvider: 'openai',
} satisfies Partial<RequestEvent>;

const claude = {
  requestedModel: 'claude-fallback',
  model: 'claude-3-5-sonnet',
  modelId: 'deploy-claude-1',
  apiBase: 'http://127.0.0.1:9998/v1',
  apiProvider: 'anthropic',
} satisfies Partial<RequestEvent>;

/** Records the golden sequence. `now` must be T0 for the budget hours to be stable. */
export function recordGoldenSequence(r: Recorder): void {
  // 1. a streaming success, with provider rate-limit headers, cached and reasoning tokens
  r.requestStarted();
  r.recordSuccess({
    ...identity,
    ...gpt,
    stream: true,
    usage: {
      promptTokens: 100,
      completionTokens: 21,
      totalTokens: 121,
      cachedInputTokens: 40,
      reasoningTokens: 5,
    },
    responseCost: 0.00125,
    cacheHit: false,
    timings: {
      startTime: T0,
      apiCallStartTime: T0 + 10,
      completionStartTime: T0 + 210,
      endTime: T0 + 1210,
      queueTimeSeconds: 0.002,
      overheadMs: 7,
    },
    rateLimits: {
      remainingRequests: 4999,
      remainingTokens: 799000,
      keyRemainingRequests: 99,
      keyRemainingTokens: 9900,
      deploymentRpmLimit: 5000,
      deploymentTpmLimit: 800000,
    },
    budgets: {
      team: { spend: 10.5, maxBudget: 100, resetAt: T0 + 36 * 3_600_000 },
      apiKey: { spend: 1.25, maxBudget: 10, resetAt: T0 + 12 * 3_600_000 },
      user: { spend: 2, maxBudget: null },
      org: { spend: 50, maxBudget: 1000, resetAt: T0 + 720 * 3_600_000 },
      customer: { spend: 0.5, maxBudget: 5, resetAt: T0 + 24 * 3_600_000 },
    },
  });
  r.requestFinished();

  // 2. a non-streaming success served from LiteLLM's cache, with audio tokens
  r.requestStarted();
  r.recordSuccess({
    ...identity,
    ...gpt,
    stream: false,
    usage: {
      promptTokens: 30,
      completionTokens: 10,
      totalTokens: 40,
      inputAudioTokens: 3,
      outputAudioTokens: 4,
      cacheCreationInputTokens: 12,
    },
    responseCost: 0.0004,
    cacheHit: true,
    timings: { startTime: T0 + 2000, apiCallStartTime: T0 + 2003, endTime: T0 + 2053 },
  });
  r.requestFinished();

  // 3. a 429 from the first deployment, cooled down, then a successful fallback to another group
  r.requestStarted();
  r.recordLlmFailure({
    ...identity,
    ...gpt,
    error: { status: 429, provider: 'openai', className: 'RateLimitError', message: 'Rate limit reached' },
    timings: { startTime: T0 + 3000, apiCallStartTime: T0 + 3001, endTime: T0 + 3101 },
  });
  r.recordCooldown({
    model: gpt.model,
    modelId: gpt.modelId,
    apiBase: gpt.apiBase,
    apiProvider: gpt.apiProvider,
    exceptionStatus: 429,
  });
  r.recordFallback(
    {
      ...identity,
      requestedModel: 'gpt-4o',
      fallbackModel: 'claude-fallback',
      error: { status: 429, provider: 'openai', className: 'RateLimitError' },
    },
    true,
  );
  r.recordSuccess({
    ...identity,
    ...claude,
    stream: false,
    usage: { promptTokens: 50, completionTokens: 25 },
    responseCost: 0.003,
    timings: { startTime: T0 + 3000, apiCallStartTime: T0 + 3102, endTime: T0 + 3602 },
  });
  r.requestFinished();

  // 4. a 500 from the upstream, no fallback left: answered to the client as a failure
  r.requestStarted();
  r.recordLlmFailure({
    ...identity,
    ...claude,
    error: {
      status: 500,
      provider: 'anthropic',
      className: 'InternalServerError',
      message: 'upstream exploded',
    },
  });
  r.recordFallback(
    {
      ...identity,
      requestedModel: 'claude-fallback',
      fallbackModel: 'gpt-4o',
      error: { status: 500, provider: 'anthropic', className: 'InternalServerError' },
    },
    false,
  );
  r.recordProxyFailure({
    ...identity,
    ...claude,
    error: {
      status: 500,
      provider: 'anthropic',
      className: 'InternalServerError',
      message: 'upstream exploded',
    },
  });
  r.requestFinished();

  // 5. a request with an invalid key: skipped, as LiteLLM skips it
  r.recordProxyFailure({
    requestedModel: 'gpt-4o',
    error: {
      status: 401,
      className: 'ProxyException',
      message: 'Authentication Error, Invalid proxy server token passed',
    },
  });

  // 6. guardrails, a logging-callback failure, provider budget, a deployment marked in outage
  r.recordGuardrail({
    guardrailName: 'pii-mask',
    latencySeconds: 0.012,
    status: 'success',
    hookType: 'pre_call',
  });
  r.recordGuardrail({
    guardrailName: 'pii-mask',
    latencySeconds: 0.3,
    status: 'error',
    errorType: 'timeout',
    hookType: 'pre_call',
  });
  r.recordCallbackFailure('s3_v2');
  r.setProviderRemainingBudget('openai', 42.5);

  // 7. a budget refresh outside any request (LiteLLM's periodic job)
  r.recordBudgets({ team: 'team-2', teamAlias: 'Team Two' }, { team: { spend: 5, maxBudget: 20 } });
  r.recordBudgets({ user: 'user-2' }, { user: { spend: 1, maxBudget: 50, resetAt: T0 + 48 * 3_600_000 } });
}

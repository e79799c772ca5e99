// The framework-free request helper: one object per proxy request that collects the request's event
// (identity, deployment, timings, usage, cost) as the proxy learns it, and records LiteLLM's events at the
// right moments. Exactly one terminal outcome is recorded per request (success, or the failure answered
// to the client); further calls are ignored. Never throws.
//
// A success is handed to the recorder with `deferSuccess` (recorded with the next batch of successes,
// at the latest at the next collection: record/recorder.ts, "Deferred successes"), so once the outcome
// is recorded the event belongs to the recorder: the helper's setters then change nothing, and callers
// must not change `event` either.

import type { Recorder } from '../record/recorder.js';
import type {
  DeploymentInfo,
  RateLimitState,
  RequestBudgets,
  RequestError,
  RequestEvent,
  RequestIdentity,
  TokenUsage,
} from '../record/event.js';
import { getEndUserId, type EndUserSourceOptions, type HeaderBag } from './end-user.js';

export interface RequestMetricsInit {
  /** Arrival time, ms since epoch. Default `Date.now()`. */
  startTime?: number;
  /** The route, e.g. `/v1/chat/completions`. */
  route?: string;
  clientIp?: string;
  userAgent?: string;
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
}

/** What a successful call adds to the event. */
export interface SuccessDetails {
  usage?: TokenUsage | null;
  responseCost?: number | null;
  rateLimits?: RateLimitState | null;
  budgets?: RequestBudgets | null;
  cacheHit?: boolean | null;
}

export interface RequestMetrics {
  /**
   * The event collected so far (mutable until the outcome is recorded; read it, or set fields the
   * helpers do not cover). After `succeed` or `fail` it must not be changed.
   */
  readonly event: RequestEvent;
  /** Whether the terminal outcome was recorded. */
  readonly finished: boolean;
  /** Sets who called (virtual key and its owners). */
  identify(identity: RequestIdentity): void;
  /** Reads the end-user id from LiteLLM's headers and body fields. */
  readEndUser(request: { headers?: HeaderBag; body?: unknown }, opts?: EndUserSourceOptions): void;
  /** The requested model group and whether the client asked for a stream. */
  setRequest(requestedModel: string | null | undefined, stream: boolean, operation?: string): void;
  /** A call to a deployment begins (sets the deployment and `apiCallStartTime`). */
  callStarted(deployment: DeploymentInfo): void;
  /** The first streamed chunk arrived (first call only counts). */
  firstChunk(at?: number): void;
  /** The current call failed: LiteLLM's LLM-API failure (the router may still fall back). */
  callFailed(error: RequestError): void;
  /**
   * A router fallback from `requestedModel` to `fallbackModel` (caused by `error`) succeeded or failed:
   * LiteLLM's fallback events, labeled with this request's identity.
   */
  fallback(
    requestedModel: string,
    fallbackModel: string,
    error: RequestError | undefined,
    success: boolean,
  ): void;
  /** The request succeeded: records LiteLLM's success event. */
  succeed(details?: SuccessDetails): void;
  /** The proxy answers the client with this error: records LiteLLM's proxy failure. */
  fail(error: RequestError): void;
}

class RequestMetricsImpl implements RequestMetrics {
  readonly event: RequestEvent;
  finished = false;
  /** The model the client asked for (`setRequest`); `callStarted` moves `event.requestedModel` on. */
  private asked: string | null | undefined = undefined;
  private readonly now: () => number;

  constructor(
    private readonly recorder: Recorder,
    init: RequestMetricsInit,
  ) {
    this.now = init.now ?? Date.now;
    // Every field from the start: the object keeps one shape while the request fills it in (no
    // property additions, so no hidden-class transitions or property-store growth per request).
    this.event = {
      route: init.route,
      clientIp: init.clientIp,
      userAgent: init.userAgent,
      metadata: undefined,
      tags: undefined,
      hashedApiKey: undefined,
      apiKey: undefined,
      apiKeyAlias: undefined,
      team: undefined,
      teamAlias: undefined,
      user: undefined,
      userEmail: undefined,
      endUser: undefined,
      orgId: undefined,
      orgAlias: undefined,
      requestedModel: undefined,
      model: undefined,
      modelId: undefined,
      apiBase: undefined,
      apiProvider: undefined,
      operation: undefined,
      stream: undefined,
      proxyRequestedModel: undefined,
      usage: undefined,
      responseCost: undefined,
      cacheHit: undefined,
      error: undefined,
      rateLimits: undefined,
      budgets: undefined,
      timings: {
        startTime: init.startTime ?? this.now(),
        apiCallStartTime: undefined,
        completionStartTime: undefined,
        endTime: undefined,
        queueTimeSeconds: undefined,
        overheadMs: undefined,
      },
    };
  }

  /** Object.assign's semantics (a field present in `identity` is copied, even when undefined), field by field. */
  identify(identity: RequestIdentity): void {
    if (this.finished) return;
    const e = this.event;
    if ('hashedApiKey' in identity) e.hashedApiKey = identity.hashedApiKey;
    if ('apiKey' in identity) e.apiKey = identity.apiKey;
    if ('apiKeyAlias' in identity) e.apiKeyAlias = identity.apiKeyAlias;
    if ('team' in identity) e.team = identity.team;
    if ('teamAlias' in identity) e.teamAlias = identity.teamAlias;
    if ('user' in identity) e.user = identity.user;
    if ('userEmail' in identity) e.userEmail = identity.userEmail;
    if ('endUser' in identity) e.endUser = identity.endUser;
    if ('orgId' in identity) e.orgId = identity.orgId;
    if ('orgAlias' in identity) e.orgAlias = identity.orgAlias;
  }

  readEndUser(request: { headers?: HeaderBag; body?: unknown }, opts?: EndUserSourceOptions): void {
    if (this.finished) return;
    this.event.endUser = getEndUserId(request, opts);
  }

  setRequest(requestedModel: string | null | undefined, stream: boolean, operation?: string): void {
    if (this.finished) return;
    this.event.requestedModel = requestedModel;
    this.asked = requestedModel;
    this.event.stream = stream;
    if (operation !== undefined) this.event.operation = operation;
  }

  callStarted(d: DeploymentInfo): void {
    if (this.finished) return;
    const e = this.event;
    e.model = d.model;
    e.modelId = d.modelId;
    e.apiBase = d.apiBase;
    e.apiProvider = d.apiProvider;
    if (d.requestedModel !== undefined) e.requestedModel = d.requestedModel;
    const t = e.timings!;
    t.apiCallStartTime = this.now();
    t.completionStartTime = undefined;
  }

  firstChunk(at?: number): void {
    if (this.finished) return;
    const t = this.event.timings!;
    if (t.completionStartTime === undefined || t.completionStartTime === null)
      t.completionStartTime = at ?? this.now();
  }

  callFailed(error: RequestError): void {
    if (this.finished) return;
    this.event.error = error;
    this.event.timings!.endTime = this.now();
    this.recorder.recordLlmFailure(this.event);
    this.event.error = undefined;
  }

  fallback(
    requestedModel: string,
    fallbackModel: string,
    error: RequestError | undefined,
    success: boolean,
  ): void {
    const e = this.event;
    this.recorder.recordFallback(
      {
        hashedApiKey: e.hashedApiKey,
        apiKey: e.apiKey,
        apiKeyAlias: e.apiKeyAlias,
        team: e.team,
        teamAlias: e.teamAlias,
        user: e.user,
        userEmail: e.userEmail,
        endUser: e.endUser,
        orgId: e.orgId,
        orgAlias: e.orgAlias,
        requestedModel,
        fallbackModel,
        error,
      },
      success,
    );
  }

  succeed(details: SuccessDetails = {}): void {
    if (this.finished) return;
    this.finished = true;
    const e = this.event;
    e.usage = details.usage;
    e.responseCost = details.responseCost;
    e.rateLimits = details.rateLimits;
    e.budgets = details.budgets;
    e.cacheHit = details.cacheHit;
    e.error = undefined;
    if (this.asked !== e.requestedModel) e.proxyRequestedModel = this.asked;
    e.timings!.endTime = this.now();
    this.recorder.deferSuccess(e);
  }

  fail(error: RequestError): void {
    if (this.finished) return;
    this.finished = true;
    this.event.error = error;
    this.event.timings!.endTime = this.now();
    this.recorder.recordProxyFailure(this.event);
  }
}

/** Starts the metrics of one request. */
export function createRequestMetrics(recorder: Recorder, init: RequestMetricsInit = {}): RequestMetrics {
  return new RequestMetricsImpl(recorder, init);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const NO_DETAILS: Record<string, unknown> = {};

/** OpenAI `usage` -> the recorder's token usage. */
export function usageFromOpenAi(u: unknown): TokenUsage | undefined {
  if (u === null || typeof u !== 'object') return undefined;
  const o = u as Record<string, unknown>;
  const pd = (o.prompt_tokens_details ?? NO_DETAILS) as Record<string, unknown>;
  const cd = (o.completion_tokens_details ?? NO_DETAILS) as Record<string, unknown>;
  return {
    promptTokens: num(o.prompt_tokens),
    completionTokens: num(o.completion_tokens),
    totalTokens: num(o.total_tokens),
    cachedInputTokens: num(pd?.cached_tokens),
    inputAudioTokens: num(pd?.audio_tokens),
    reasoningTokens: num(cd?.reasoning_tokens),
    outputAudioTokens: num(cd?.audio_tokens),
  };
}

const noop = (): void => {};

/** A RequestMetrics that records nothing (metrics disabled); same shape, fresh event per request. */
export function createNoopRequestMetrics(): RequestMetrics {
  return {
    event: {},
    finished: false,
    identify: noop,
    readEndUser: noop,
    setRequest: noop,
    callStarted: noop,
    firstChunk: noop,
    callFailed: noop,
    fallback: noop,
    succeed: noop,
    fail: noop,
  };
}

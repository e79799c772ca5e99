// The reference proxy's HTTP app (Fastify): OpenAI-compatible routes in front of the router, with the
// metrics plugin recording LiteLLM's metric set from every request.
//
//   POST /v1/chat/completions (and /chat/completions)  streaming (SSE) and not
//   POST /v1/embeddings (and /embeddings)
//   GET  /v1/models (and /models)
//   GET  /health, /health/liveliness, /health/readiness
//   GET  /metrics  the aggregated exposition, fetched from the aggregator (embedded or collector)

import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyError,
} from 'fastify';
import type { Recorder } from '../record/recorder.js';
import type { RequestError } from '../record/event.js';
import { litellmMetricsPlugin } from '../integrations/fastify-plugin.js';
import type { EndUserSourceOptions } from '../integrations/end-user.js';
import {
  createNoopRequestMetrics,
  usageFromOpenAi,
  type RequestMetrics,
} from '../integrations/request-metrics.js';
import type { Deployment, ProxyConfig } from './config.js';
import { Authenticator, type Caller } from './auth.js';
import { errorBody, proxyError, type ProxyError } from './errors.js';
import { Router } from './router.js';
import { SpendTracker } from './spend.js';
import { SseRelay } from './sse.js';
import { callUpstream, type OpenAiUsage, type UpstreamRateLimits } from './upstream.js';

export interface ProxyAppOptions {
  config: ProxyConfig;
  /** The recorder; absent: metrics disabled (no plugin, nothing recorded). */
  recorder: Recorder | undefined;
  /** Prometheus URL of the aggregator whose exposition `GET /metrics` serves; absent: 404 with a hint. */
  metricsUrl?: string;
  /** Where the metrics go, for the `/metrics` hint in collector mode. */
  exportEndpoint?: string;
  router?: Router;
  spend?: SpendTracker;
  /** Fastify's logger option. Default false. */
  logger?: boolean;
}

type Kind = 'chat' | 'embeddings';

interface ProxyState {
  config: ProxyConfig;
  router: Router;
  auth: Authenticator;
  spend: SpendTracker;
  /** Where end-user ids come from (Fastify's header names are lower case). */
  endUserSource: EndUserSourceOptions;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller (set in onRequest for authenticated routes). */
    caller?: Caller;
  }
}

const LLM_ROUTES = ['/v1/chat/completions', '/chat/completions', '/v1/embeddings', '/embeddings'];
const AUTH_ROUTES = new Set([...LLM_ROUTES, '/v1/models', '/models']);

function toRequestError(e: ProxyError): RequestError {
  return { status: e.status, provider: e.provider, className: e.className, message: e.message };
}

function sendError(reply: FastifyReply, e: ProxyError): FastifyReply {
  return reply.code(e.status).header('content-type', 'application/json').send(errorBody(e));
}

function costOf(d: Deployment, u: OpenAiUsage | undefined): number {
  if (!u) return 0;
  const p = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const c = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  return p * d.inputCostPerToken + c * d.outputCostPerToken;
}

function identify(m: RequestMetrics, caller: Caller | undefined): void {
  if (!caller || caller.hashedKey === undefined) return;
  const vk = caller.virtualKey;
  m.identify({
    hashedApiKey: caller.hashedKey,
    apiKeyAlias: vk?.keyAlias,
    team: vk?.teamId,
    teamAlias: vk?.teamAlias,
    user: vk?.userId,
    userEmail: vk?.userEmail,
  });
}

function budgetsOf(state: ProxyState, caller: Caller | undefined, spend: number) {
  if (!caller || caller.hashedKey === undefined) return undefined;
  return { apiKey: { spend, maxBudget: caller.virtualKey?.maxBudget ?? null } };
}

function rateLimitsOf(d: Deployment, rl: UpstreamRateLimits) {
  return {
    remainingRequests: rl.remainingRequests,
    remainingTokens: rl.remainingTokens,
    deploymentRpmLimit: d.rpm,
    deploymentTpmLimit: d.tpm,
  };
}

/** Validates the body of an LLM route; the error answered when it is not acceptable. */
function checkBody(kind: Kind, body: unknown): ProxyError | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return proxyError(400, 'Invalid request body: expected a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0)
    return proxyError(400, 'Invalid request: "model" is required', { param: 'model' });
  if (kind === 'chat' && !Array.isArray(b.messages))
    return proxyError(400, 'Invalid request: "messages" must be an array', { param: 'messages' });
  if (kind === 'embeddings' && b.input === undefined)
    return proxyError(400, 'Invalid request: "input" is required', { param: 'input' });
  return undefined;
}

async function handleLlm(
  state: ProxyState,
  kind: Kind,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const m = request.litellmMetrics;
  const caller = request.caller;
  const body = request.body as Record<string, unknown>;
  const bad = checkBody(kind, body);
  const requested = bad === undefined ? (body.model as string) : undefined;
  const stream = kind === 'chat' && body?.stream === true;
  m.setRequest(requested, stream, kind === 'chat' ? 'chat' : 'embeddings');
  m.readEndUser({ headers: request.headers as Record<string, string>, body }, state.endUserSource);

  const answer = (e: ProxyError) => {
    m.event.requestedModel = requested;
    m.fail(toRequestError(e));
    return sendError(reply, e);
  };
  if (bad) return void answer(bad);
  const group = requested!;
  if (!state.router.hasGroup(group)) {
    return void answer(
      proxyError(
        400,
        `Invalid model name passed in model=${group}. Call \`/v1/models\` to view available models for your key.`,
        {
          param: 'model',
        },
      ),
    );
  }
  if (caller) {
    const denied = state.auth.authorizeModel(caller, group);
    if (denied) return void answer(denied);
    const max = caller.virtualKey?.maxBudget;
    if (max !== undefined && caller.hashedKey !== undefined) {
      const spent = state.spend.get(caller.hashedKey);
      if (spent >= max) {
        return void answer(
          proxyError(400, `Budget has been exceeded! Current cost: ${spent}, Max budget: ${max}`, {
            type: 'budget_exceeded',
            className: 'BudgetExceededError',
          }),
        );
      }
    }
  }

  const upstreamBody: Record<string, unknown> = { ...body };
  const clientAskedUsage =
    stream && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  if (stream)
    upstreamBody.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
  const path = kind === 'chat' ? '/chat/completions' : '/embeddings';

  const groups = [group, ...state.router.fallbacksFor(group)];
  let lastError: ProxyError | undefined;
  let firstError: ProxyError | undefined;
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi]!;
    const tried = new Set<string>();
    for (let attempt = 0; attempt <= state.config.numRetries; attempt++) {
      const d = state.router.pick(g, tried);
      if (!d) {
        const err = proxyError(
          429,
          `No deployments available for selected model, Try again in ${state.config.cooldownTimeMs / 1000} seconds. Passed model=${g}.`,
          { className: 'RateLimitError', type: 'rate_limit_error' },
        );
        m.callStarted({
          requestedModel: g,
          model: undefined,
          modelId: undefined,
          apiBase: undefined,
          apiProvider: undefined,
        });
        m.callFailed(toRequestError(err));
        lastError = err;
        firstError ??= err;
        break;
      }
      tried.add(d.id);
      m.callStarted({
        requestedModel: g,
        model: d.upstreamModel,
        modelId: d.id,
        apiBase: d.apiBase,
        apiProvider: d.provider,
      });
      const res = await callUpstream(d, path, upstreamBody, stream);
      if (res.ok) {
        state.router.reportSuccess(d);
        if (gi > 0) m.fallback(group, g, firstError && toRequestError(firstError), true);
        if (stream) await relayStream(state, m, d, caller, res, clientAskedUsage, reply);
        else {
          const cost = costOf(d, res.usage);
          const spend = caller?.hashedKey !== undefined ? state.spend.add(caller.hashedKey, cost) : 0;
          m.succeed({
            usage: usageFromOpenAi(res.usage),
            responseCost: cost,
            rateLimits: rateLimitsOf(d, res.rateLimits),
            budgets: budgetsOf(state, caller, spend),
          });
          void reply
            .header('content-type', 'application/json')
            .header('x-litellm-model-id', d.id)
            .header('x-litellm-response-cost', String(cost))
            .send(res.body);
        }
        return;
      }
      m.callFailed(toRequestError(res.error));
      if (state.router.reportFailure(d, res.error.status, res.error.className)) {
        const cd = {
          model: d.upstreamModel,
          modelId: d.id,
          apiBase: d.apiBase,
          apiProvider: d.provider,
          exceptionStatus: res.error.status,
        };
        request.server.recorder?.recordCooldown(cd);
        request.server.recorder?.setDeploymentState(cd, 2);
      }
      lastError = res.error;
      firstError ??= res.error;
    }
    if (gi > 0) m.fallback(group, g, firstError && toRequestError(firstError), false);
  }
  return void answer(lastError ?? proxyError(500, 'no deployment answered'));
}

async function relayStream(
  state: ProxyState,
  m: RequestMetrics,
  d: Deployment,
  caller: Caller | undefined,
  res: Extract<Awaited<ReturnType<typeof callUpstream>>, { ok: true }>,
  clientAskedUsage: boolean,
  reply: FastifyReply,
): Promise<void> {
  m.firstChunk(res.firstChunkAt);
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-litellm-model-id': d.id,
  });
  let clientGone = false;
  out.once('close', () => {
    if (!out.writableFinished) {
      clientGone = true;
      res.cancel();
    }
  });
  const relay = new SseRelay(clientAskedUsage);
  let idleTimedOut = false;
  const reader = res.reader!;
  try {
    let text = relay.push(res.firstChunk!);
    if (text) out.write(text);
    for (;;) {
      // An upstream silent for the deployment's timeout between two chunks is cut off.
      const idle = setTimeout(() => {
        idleTimedOut = true;
        res.cancel();
      }, d.timeoutMs);
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } finally {
        clearTimeout(idle);
      }
      const { done, value } = chunk;
      if (done) break;
      text = relay.push(value);
      if (text) out.write(text);
    }
    text = relay.end();
    if (text) out.write(text);
  } catch (e) {
    if (clientGone) return; // LiteLLM logs nothing for a stream the client abandoned
    const err = idleTimedOut
      ? proxyError(408, `litellm.Timeout: no stream chunk within ${d.timeoutMs / 1000} seconds.`, {
          provider: d.provider,
          className: 'Timeout',
          type: 'timeout',
        })
      : proxyError(
          500,
          `litellm.APIConnectionError: ${d.provider}Exception - stream interrupted: ${(e as Error).message}`,
          {
            provider: d.provider,
            className: 'APIConnectionError',
          },
        );
    m.callFailed(toRequestError(err));
    m.fail(toRequestError(err));
    out.end(`data: ${JSON.stringify(errorBody(err))}\n\n`);
    return;
  }
  if (relay.streamError !== undefined) {
    const err = proxyError(500, relay.streamError, { provider: d.provider });
    m.callFailed(toRequestError(err));
    m.fail(toRequestError(err));
    out.end();
    return;
  }
  const cost = costOf(d, relay.usage);
  const spend = caller?.hashedKey !== undefined ? state.spend.add(caller.hashedKey, cost) : 0;
  m.succeed({
    usage: usageFromOpenAi(relay.usage),
    responseCost: cost,
    rateLimits: rateLimitsOf(d, res.rateLimits),
    budgets: budgetsOf(state, caller, spend),
  });
  out.end();
}

declare module 'fastify' {
  interface FastifyInstance {
    recorder: Recorder | undefined;
  }
}

/** Builds the proxy app (not listening). */
export async function createProxyApp(opts: ProxyAppOptions): Promise<FastifyInstance> {
  const { config, recorder } = opts;
  const state: ProxyState = {
    config,
    router: opts.router ?? new Router(config),
    auth: new Authenticator(config),
    spend: opts.spend ?? new SpendTracker(),
    endUserSource: { userHeaderName: config.userHeaderName, headerNamesLowercase: true },
  };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 16 * 1024 * 1024,
    forceCloseConnections: true,
  });
  app.decorate('recorder', recorder);
  if (recorder) await app.register(litellmMetricsPlugin, { recorder });
  else {
    app.decorateRequest('litellmMetrics', null as unknown as RequestMetrics);
    app.addHook('onRequest', (request, _reply, done) => {
      request.litellmMetrics = createNoopRequestMetrics();
      done();
    });
  }

  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !AUTH_ROUTES.has(route)) return done();
    const r = state.auth.authenticate(request.headers);
    if (r.ok) {
      request.caller = r.caller;
      identify(request.litellmMetrics, r.caller);
      return done();
    }
    request.litellmMetrics.setRequest(undefined, false);
    request.litellmMetrics.fail(toRequestError(r.error));
    void sendError(reply, r.error);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    const message =
      error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
        ? `Invalid JSON in request body: ${error.message}`
        : error.message;
    if (status >= 500) request.log.error(error);
    return sendError(reply, proxyError(status, message));
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, proxyError(404, `Route ${request.method} ${request.url} not found`)),
  );

  const chat = (req: FastifyRequest, reply: FastifyReply) => handleLlm(state, 'chat', req, reply);
  const embeddings = (req: FastifyRequest, reply: FastifyReply) => handleLlm(state, 'embeddings', req, reply);
  app.post('/v1/chat/completions', chat);
  app.post('/chat/completions', chat);
  app.post('/v1/embeddings', embeddings);
  app.post('/embeddings', embeddings);

  const models = async () => ({
    object: 'list',
    data: state.router
      .groups()
      .map((id) => ({ id, object: 'model', created: 1677610602, owned_by: 'openai' })),
  });
  app.get('/v1/models', models);
  app.get('/models', models);

  const health = async () => {
    const healthy: string[] = [];
    const unhealthy: string[] = [];
    for (const d of config.deployments) (state.router.isCoolingDown(d) ? unhealthy : healthy).push(d.id);
    return {
      status: unhealthy.length === 0 ? 'healthy' : 'degraded',
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
      healthy_endpoints: healthy,
      unhealthy_endpoints: unhealthy,
    };
  };
  app.get('/health', health);
  app.get('/health/liveliness', async () => "I'm alive!");
  app.get('/health/readiness', async () => ({ status: 'healthy' }));

  app.get('/metrics', async (request, reply) => {
    if (!opts.metricsUrl) {
      return sendError(
        reply,
        proxyError(
          404,
          `this proxy exports its metrics over OTLP to ${opts.exportEndpoint ?? 'a collector'}; scrape the collector's Prometheus endpoint`,
        ),
      );
    }
    try {
      const res = await fetch(opts.metricsUrl, {
        headers: request.headers.accept ? { accept: request.headers.accept } : {},
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      return reply
        .code(res.status)
        .header('content-type', res.headers.get('content-type') ?? 'text/plain; version=0.0.4; charset=utf-8')
        .send(text);
    } catch (e) {
      return sendError(
        reply,
        proxyError(503, `aggregator unreachable at ${opts.metricsUrl}: ${(e as Error).message}`),
      );
    }
  });

  return app;
}

// The Fastify plugin: `app.register(litellmMetricsPlugin, { recorder })`.
// - counts every HTTP request in flight (litellm_in_flight_requests), from onRequest to the response's
//   close (finished or aborted), exactly once;
// - decorates each request with `request.litellmMetrics`, a RequestMetrics helper (identity, deployment,
//   timings, usage) whose calls record LiteLLM's events;
// - on an error thrown in the lifecycle of an LLM route (a body that is not JSON, a handler that threw),
//   records the failure answered to the client unless the route already recorded an outcome.
// It is not encapsulated (Symbol.for('skip-override'), the fastify-plugin convention), so the hooks and
// the decoration apply to every route of the instance that registers it.

import type { FastifyInstance, FastifyError, FastifyRequest } from 'fastify';
import type { Recorder } from '../record/recorder.js';
import { createRequestMetrics, type RequestMetrics } from './request-metrics.js';

/** LiteLLM's LLM routes, whose errors are counted as proxy failures. */
export const DEFAULT_LLM_ROUTES: readonly string[] = [
  '/v1/chat/completions',
  '/chat/completions',
  '/v1/completions',
  '/completions',
  '/v1/embeddings',
  '/embeddings',
  '/v1/responses',
  '/responses',
];

export interface LitellmMetricsPluginOptions {
  /** The recorder (from `setupMetrics(...).createRecorder(meterProvider)`). Required. */
  recorder: Recorder;
  /** Count requests in flight. Default true. */
  trackInFlight?: boolean;
  /**
   * Routes (the route's URL pattern) whose lifecycle errors are recorded as proxy failures.
   * Default {@link DEFAULT_LLM_ROUTES}.
   */
  llmRoutes?: readonly string[];
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's metrics helper (set by litellmMetricsPlugin in onRequest). */
    litellmMetrics: RequestMetrics;
  }
}

function routeOf(request: FastifyRequest): string | undefined {
  return request.routeOptions.url ?? undefined;
}

function statusOf(error: FastifyError): number {
  const s = error.statusCode;
  return typeof s === 'number' && s >= 400 && s <= 599 ? s : 500;
}

function classOf(status: number): string {
  if (status === 400 || status === 415 || status === 413) return 'BadRequestError';
  if (status === 404) return 'NotFoundError';
  return status >= 500 ? 'InternalServerError' : 'ProxyException';
}

async function plugin(app: FastifyInstance, opts: LitellmMetricsPluginOptions): Promise<void> {
  const { recorder } = opts;
  if (!recorder || typeof recorder.recordSuccess !== 'function') {
    throw new TypeError('litellmMetricsPlugin: option "recorder" is required (a Recorder from setupMetrics)');
  }
  const trackInFlight = opts.trackInFlight !== false;
  const llmRoutes = new Set(opts.llmRoutes ?? DEFAULT_LLM_ROUTES);
  const now = opts.now ?? Date.now;

  app.decorateRequest('litellmMetrics', null as unknown as RequestMetrics);
  // One listener for every response: 'close' fires once whether the response finished or the client
  // went away.
  const finished = (): void => recorder.requestFinished();

  app.addHook('onRequest', (request, reply, done) => {
    request.litellmMetrics = createRequestMetrics(recorder, {
      startTime: now(),
      route: routeOf(request) ?? request.url,
      clientIp: request.ip,
      userAgent: request.headers['user-agent'],
      now,
    });
    if (trackInFlight) {
      recorder.requestStarted();
      reply.raw.on('close', finished);
    }
    done();
  });

  app.addHook('onError', (request, _reply, error, done) => {
    const route = routeOf(request);
    const m = request.litellmMetrics;
    if (m && !m.finished && route !== undefined && llmRoutes.has(route)) {
      const status = statusOf(error);
      m.fail({ status, className: classOf(status), message: error.message });
    }
    done();
  });
}

// fastify-plugin's convention: do not encapsulate, so hooks and decorations reach every route.
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'litellm-otel-metrics';
(plugin as unknown as Record<string, unknown>)[Symbol.for('plugin-meta') as unknown as string] = {
  name: 'litellm-otel-metrics',
  fastify: '5.x',
};

/** The Fastify plugin. Register with `app.register(litellmMetricsPlugin, { recorder })`. */
export const litellmMetricsPlugin = plugin;

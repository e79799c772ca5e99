// The Fastify plugin on a real Fastify server over real HTTP, recording through a real MeterProvider:
// in-flight tracking for every request (also aborted ones), lifecycle errors of LLM routes counted once,
// the request helper recording one terminal outcome, and hooks reaching routes of child plugins.

import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { setupMetrics } from '../../src/record/setup.js';
import { litellmMetricsPlugin } from '../../src/integrations/fastify-plugin.js';
import { createRequestMetrics, usageFromOpenAi } from '../../src/integrations/request-metrics.js';
import { inProcess, type InProcess } from '../support/in-process.js';
import { parseExposition, total } from '../proxy/support/harness.js';

let app: FastifyInstance | undefined;
let metrics: InProcess | undefined;

afterEach(async () => {
  await app?.close();
  await metrics?.shutdown();
  app = undefined;
  metrics = undefined;
});

async function start(register: (app: FastifyInstance) => void | Promise<void>) {
  const setup = setupMetrics({ settings: { enable_end_user_cost_tracking_prometheus_only: true } });
  metrics = inProcess(setup.views);
  const recorder = setup.createRecorder(metrics.provider);
  app = Fastify();
  await app.register(litellmMetricsPlugin, { recorder });
  await register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const read = async () => parseExposition(await metrics!.render());
  return { url, read, recorder };
}

describe('litellmMetricsPlugin', () => {
  it('counts every request in flight while it runs, and back to zero after (also when the client aborts)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { url, read } = await start((a) => {
      a.get('/slow', async () => {
        await gate;
        return { ok: true };
      });
      a.get('/fast', async () => ({ ok: true }));
    });
    const pending = fetch(`${url}/slow`);
    const aborted = new AbortController();
    const abortedReq = fetch(`${url}/slow`, { signal: aborted.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(total(await read(), 'litellm_in_flight_requests')).toBe(2);
    aborted.abort();
    await abortedReq;
    await new Promise((r) => setTimeout(r, 200));
    expect(total(await read(), 'litellm_in_flight_requests')).toBe(1);
    release();
    await (await pending).text();
    await (await fetch(`${url}/fast`)).text();
    await (await fetch(`${url}/not-a-route`)).text();
    await new Promise((r) => setTimeout(r, 50));
    expect(total(await read(), 'litellm_in_flight_requests')).toBe(0);
  });

  it('records a lifecycle error of an LLM route once as a proxy failure, and not for other routes', async () => {
    const { url, read } = await start((a) => {
      a.post('/v1/chat/completions', async () => ({ ok: true }));
      a.post('/admin', async () => ({ ok: true }));
    });
    const bad = (path: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{oops',
      });
    expect((await bad('/v1/chat/completions')).status).toBe(400);
    expect((await bad('/admin')).status).toBe(400);
    const s = await read();
    expect(total(s, 'litellm_proxy_failed_requests_metric_total')).toBe(1);
    expect(
      total(s, 'litellm_proxy_failed_requests_metric_total', {
        exception_status: '400',
        exception_class: 'BadRequestError',
        route: '/v1/chat/completions',
      }),
    ).toBe(1);
    expect(total(s, 'litellm_proxy_total_requests_metric_total')).toBe(1);
  });

  it('records one outcome per request from the helper, with identity, deployment, usage and end user', async () => {
    const { url, read } = await start(async (a) => {
      // A child plugin: the hooks and the decoration still reach its routes.
      await a.register(async (child) => {
        child.post('/v1/chat/completions', async (request) => {
          const m = request.litellmMetrics;
          m.identify({ apiKey: 'sk-secret', apiKeyAlias: 'alias', team: 'team-a' });
          m.setRequest('gpt-4o', false);
          m.readEndUser({ headers: request.headers as Record<string, string>, body: request.body });
          m.callStarted({
            model: 'gpt-4o-2024',
            modelId: 'dep-1',
            apiBase: 'http://up/v1',
            apiProvider: 'openai',
          });
          m.callFailed({ status: 500, provider: 'openai', className: 'InternalServerError' });
          m.callStarted({
            model: 'gpt-4o-2024',
            modelId: 'dep-2',
            apiBase: 'http://up/v1',
            apiProvider: 'openai',
          });
          m.succeed({
            usage: usageFromOpenAi({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }),
            responseCost: 0.5,
          });
          m.succeed({ responseCost: 100 }); // ignored: one outcome per request
          m.fail({ status: 500 }); // ignored
          return { ok: true };
        });
      });
    });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-litellm-end-user-id': 'customer-9' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    });
    expect(res.status).toBe(200);
    const s = await read();
    expect(
      total(s, 'litellm_proxy_total_requests_metric_total', { status_code: '200', end_user: 'customer-9' }),
    ).toBe(1);
    expect(total(s, 'litellm_proxy_total_requests_metric_total')).toBe(1);
    expect(total(s, 'litellm_llm_api_failed_requests_metric_total', { model_id: 'dep-1' })).toBe(1);
    expect(
      total(s, 'litellm_spend_metric_total', { model_id: 'dep-2', team: 'team-a', api_key_alias: 'alias' }),
    ).toBe(0.5);
    expect(total(s, 'litellm_total_tokens_metric_total')).toBe(7);
    expect(total(s, 'litellm_proxy_failed_requests_metric_total')).toBe(0);
    const hashed = s.find((x) => x.name === 'litellm_spend_metric_total')!.labels.hashed_api_key;
    expect(hashed).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(s)).not.toContain('sk-secret');
  });

  it('refuses to register without a recorder', async () => {
    const a = Fastify();
    await expect(a.register(litellmMetricsPlugin, {} as never).ready()).rejects.toThrow(/recorder/);
    await a.close();
  });

  it("the helper's identify copies the fields given (an explicit undefined too) and keeps the others", () => {
    const setup = setupMetrics();
    const recorder = setup.createRecorder(inProcess(setup.views).provider);
    const m = createRequestMetrics(recorder, { route: '/v1/chat/completions', startTime: 1 });
    m.readEndUser({ headers: { 'x-litellm-end-user-id': 'eu-1' } });
    m.identify({ team: 't1', user: 'u1' });
    m.identify({ user: undefined, apiKeyAlias: 'alias' });
    expect(m.event).toMatchObject({
      endUser: 'eu-1',
      team: 't1',
      apiKeyAlias: 'alias',
      route: '/v1/chat/completions',
    });
    expect(m.event.user).toBeUndefined();
    expect(m.event.timings?.startTime).toBe(1);
  });
});

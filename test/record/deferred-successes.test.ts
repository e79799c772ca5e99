import { afterEach, describe, expect, it } from 'vitest';
import { setupMetrics } from '../../src/record/setup.js';
import { createRequestMetrics } from '../../src/integrations/request-metrics.js';
import type { RequestEvent } from '../../src/record/event.js';
import { families, inProcess, type InProcess } from '../support/in-process.js';

/** Sum of every sample of a family in an exposition. */
function total(text: string, family: string): number {
  return [...(families(text).get(family) ?? '').matchAll(/\} (\S+)$/gm)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
}

const success = (i: number): RequestEvent => ({
  user: `u${i % 3}`,
  requestedModel: 'g',
  model: 'gpt-4o',
  modelId: 'd1',
  apiBase: 'http://up',
  apiProvider: 'openai',
  responseCost: 0.5,
  usage: { promptTokens: i, completionTokens: 1 },
  timings: { startTime: 1000, apiCallStartTime: 1100, endTime: 1300 },
});

describe('deferred successes (deferSuccess): recorded in batches, nothing lost or reordered', () => {
  let p: InProcess | undefined;
  afterEach(async () => p?.shutdown());

  it('wait until the batch is full, then are recorded together; a collection records the rest', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider, { successBatchSize: 8 });
    for (let i = 0; i < 7; i++) r.deferSuccess(success(i));
    expect(r.deferredSuccesses).toBe(7);
    r.deferSuccess(success(7));
    expect(r.deferredSuccesses).toBe(0); // the 8th filled the batch
    for (let i = 8; i < 13; i++) r.deferSuccess(success(i));
    expect(r.deferredSuccesses).toBe(5);
    const text = await p.render(); // the collection records the 5 waiting
    expect(r.deferredSuccesses).toBe(0);
    expect(total(text, 'litellm_proxy_total_requests_metric_total')).toBe(13);
    expect(total(text, 'litellm_spend_metric_total')).toBe(6.5);
    expect(total(text, 'litellm_input_tokens_metric_total')).toBe((12 * 13) / 2);
    const counts = [
      ...(families(text).get('litellm_request_total_latency_metric') ?? '').matchAll(/_count\{.*\} (\S+)$/gm),
    ];
    expect(counts.reduce((s, m) => s + Number(m[1]), 0)).toBe(13);
  });

  it('any other record call first records the waiting successes, so gauges keep the order of events', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    r.deferSuccess(success(0)); // deployment state 0 (healthy)
    // then the deployment fails: state 1 (partial outage) must win, as it came last
    r.recordLlmFailure({ ...success(1), error: { status: 500, className: 'InternalServerError' } });
    expect(r.deferredSuccesses).toBe(0);
    expect(families(await p.render()).get('litellm_deployment_state')).toMatch(/model_id="d1".*\} 1$/m);
    // and a direct recordSuccess after deferred ones: budgets set last win
    r.deferSuccess({ ...success(2), team: 't', budgets: { team: { spend: 1, maxBudget: 10 } } });
    r.recordSuccess({ ...success(3), team: 't', budgets: { team: { spend: 6, maxBudget: 10 } } });
    expect(families(await p.render()).get('litellm_remaining_team_budget_metric')).toContain('} 4');
  });

  it('totals stay exact when the label-set batch fills while successes are being recorded', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider, { successBatchSize: 16, maxBatchedLabelSets: 2 });
    for (let i = 0; i < 100; i++) r.deferSuccess({ ...success(i), user: `u${i % 7}` });
    const text = await p.render();
    expect(total(text, 'litellm_proxy_total_requests_metric_total')).toBe(100);
    expect(total(text, 'litellm_spend_metric_total')).toBe(50);
  });

  it('successBatchSize 1 records each success at once; an invalid size is refused at start', () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider, { successBatchSize: 1 });
    r.deferSuccess(success(0));
    expect(r.deferredSuccesses).toBe(0);
    for (const bad of [0, 1.5, -1, 5000, Number.NaN])
      expect(() => setup.createRecorder(p!.provider, { successBatchSize: bad })).toThrow(
        /option "successBatchSize" must be an integer from 1 to 4096/,
      );
  });

  it("the request helper hands its success over and ignores setters afterwards (the event is the recorder's)", async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    const m = createRequestMetrics(r, { startTime: 1000, route: '/v1/chat/completions', now: () => 1200 });
    m.setRequest('g', false, 'chat');
    m.callStarted({ model: 'gpt-4o', modelId: 'd1', apiBase: 'http://up', apiProvider: 'openai' });
    m.succeed({ usage: { promptTokens: 5, completionTokens: 2 }, responseCost: 1 });
    expect(r.deferredSuccesses).toBe(1);
    // late calls change nothing of what gets recorded
    m.setRequest('other', true);
    m.callStarted({ model: 'x', modelId: 'd2', apiBase: 'http://other', apiProvider: 'azure' });
    m.identify({ user: 'late' });
    m.firstChunk(5);
    m.readEndUser({ headers: { 'x-litellm-end-user-id': 'late' } });
    m.fail({ status: 500 });
    const fams = families(await p.render());
    expect(fams.get('litellm_proxy_total_requests_metric_total')).toMatch(/requested_model="g".*\} 1$/m);
    expect(fams.get('litellm_proxy_total_requests_metric_total')).not.toContain('other');
    expect(fams.get('litellm_deployment_success_responses_total')).toContain('model_id="d1"');
    expect(fams.get('litellm_proxy_failed_requests_metric_total')).toBeUndefined();
    expect(m.event.user).toBeUndefined();
  });
});

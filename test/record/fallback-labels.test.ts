// A success through a router fallback: LiteLLM labels `litellm_proxy_total_requests_metric` of a
// non-streaming success with the model the client asked for (its post-call hook reads the request's
// `model`), every other family and streaming successes with the model group that answered.

import { afterEach, describe, expect, it } from 'vitest';
import { setupMetrics } from '../../src/record/setup.js';
import { createRequestMetrics } from '../../src/integrations/request-metrics.js';
import { families, inProcess, type InProcess } from '../support/in-process.js';

/** Per `requested_model` value, the sum of a family's samples. */
function byRequested(text: string, family: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of (families(text).get(family) ?? '').matchAll(/requested_model="([^"]*)".*\} (\S+)$/gm))
    out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

describe('requested_model of a success through a fallback', () => {
  let p: InProcess | undefined;
  afterEach(async () => p?.shutdown());

  it('non-streaming: the proxy total by the asked model, the LLM families by the answering group', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    for (const stream of [false, false, true]) {
      const m = createRequestMetrics(r);
      m.setRequest('primary', stream);
      m.callStarted({ requestedModel: 'primary', model: 'broken', modelId: 'b1' });
      m.callFailed({ status: 500, className: 'InternalServerError' });
      m.callStarted({ requestedModel: 'backup', model: 'good', modelId: 'g1' });
      m.succeed({ usage: { promptTokens: 1, completionTokens: 1 } });
    }
    // a request answered by its own group is unaffected
    const direct = createRequestMetrics(r);
    direct.setRequest('backup', false);
    direct.callStarted({ requestedModel: 'backup', model: 'good', modelId: 'g1' });
    direct.succeed({});

    const text = await p.render();
    expect(byRequested(text, 'litellm_proxy_total_requests_metric_total')).toEqual({ primary: 2, backup: 2 });
    expect(byRequested(text, 'litellm_deployment_success_responses_total')).toEqual({ backup: 4 });
  });
});

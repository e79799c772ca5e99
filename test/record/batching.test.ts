import { afterEach, describe, expect, it } from 'vitest';
import { setupMetrics } from '../../src/record/setup.js';
import { families, inProcess, type InProcess } from '../support/in-process.js';

describe('the recorder batches counters and gauges per label set until the next collection', () => {
  let p: InProcess | undefined;
  afterEach(async () => p?.shutdown());

  function spendOf(text: string): number {
    return [...(families(text).get('litellm_spend_metric_total') ?? '').matchAll(/\} (\S+)$/gm)].reduce(
      (s, m) => s + Number(m[1]),
      0,
    );
  }

  it('sums are exact across collections, and a full batch is written out early', async () => {
    for (const bound of [1, 3, 20_000]) {
      const setup = setupMetrics();
      p = inProcess(setup.views);
      const r = setup.createRecorder(p.provider, { maxBatchedLabelSets: bound });
      let expected = 0;
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 50; i++) {
          r.recordSuccess({
            user: `u${i % 7}`,
            requestedModel: 'm',
            responseCost: 0.25,
            usage: { promptTokens: i },
          });
          expected += 0.25;
        }
        expect(spendOf(await p.render())).toBeCloseTo(expected, 9); // cumulative reader: running total
      }
      const fams = families(await p.render());
      const input = [...fams.get('litellm_input_tokens_metric_total')!.matchAll(/\} (\S+)$/gm)].reduce(
        (s, m) => s + Number(m[1]),
        0,
      );
      expect(input).toBe(3 * ((49 * 50) / 2));
      await p.shutdown();
      p = undefined;
    }
  });

  it('a gauge set from different requests keeps the value set last, whatever label set carried it', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    r.recordSuccess({ user: 'a', team: 't1', budgets: { team: { spend: 1, maxBudget: 10 } } });
    r.recordSuccess({ user: 'b', team: 't1', budgets: { team: { spend: 4, maxBudget: 10 } } });
    r.recordSuccess({ user: 'a', team: 't1', budgets: { team: { spend: 7, maxBudget: 10 } } });
    expect(families(await p.render()).get('litellm_remaining_team_budget_metric')).toContain(
      'team="t1",team_alias="None"} 3',
    );
    r.recordSuccess({ user: 'b', team: 't1', budgets: { team: { spend: 9, maxBudget: 10 } } });
    expect(families(await p.render()).get('litellm_remaining_team_budget_metric')).toContain(
      'team="t1",team_alias="None"} 1',
    );
  });

  it('labels changed between two writes of one call land in their own label set', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    // no deployment selected: the LLM-failure family keeps "None", the deployment families get ""
    r.recordLlmFailure({ requestedModel: 'g', error: { status: 503, className: 'ServiceUnavailableError' } });
    const fams = families(await p.render());
    expect(fams.get('litellm_llm_api_failed_requests_metric_total')).toContain('model_id="None"} 1');
    expect(fams.get('litellm_deployment_failure_responses_total')).toContain(
      'requested_model="g",litellm_model_name="",model_id="",api_base="",api_provider="",exception_status="503"',
    );
  });

  it('the internal flush instrument never appears in the output', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    setup.createRecorder(p.provider).recordCallbackFailure('x');
    const { resourceMetrics } = await p.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toEqual(['litellm_callback_logging_failures_metric_total']);
  });

  it('label sets whose values only differ in where one value ends stay apart (hostile values)', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    // joined without a length or a separator, each pair would read "ab:1:c"
    const pairs: [string, string][] = [
      ['a', 'b:1:c'],
      ['ab', ':1:c'],
      ['ab:1', ':c'],
      ['ab:1:', 'c'],
      ['ab:1:c', ''],
      ['1:a', 'b'],
    ];
    for (let round = 0; round < 3; round++)
      for (const [team, alias] of pairs) r.recordSuccess({ team, teamAlias: alias, requestedModel: 'm' });
    const lines = families(await p.render())
      .get('litellm_proxy_total_requests_metric_total')!
      .split('\n')
      .filter((l) => !l.startsWith('#') && l.length > 0);
    expect(lines).toHaveLength(pairs.length);
    for (const [team, alias] of pairs) {
      const line = lines.find((l) => l.includes(`team="${team}",team_alias="${alias}"`));
      expect(line, `${team} / ${alias}`).toMatch(/\} 3$/);
    }
  });

  it('a request between others with another label set is counted in its own set (recent-entry reuse)', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    for (let i = 0; i < 60; i++)
      r.recordSuccess({ user: users[(i * 7) % users.length], requestedModel: 'm' });
    const text = families(await p.render()).get('litellm_proxy_total_requests_metric_total')!;
    for (const u of users) expect(text).toMatch(new RegExp(`user="${u}".*\\} 10$`, 'm'));
  });

  it('a value repeated from the previous call is reused only when it is the same text (cleaned once)', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    // equal text in distinct string objects, a value that needs cleaning, and values alternating
    const users = ['a\nb', ['a', 'b'].join('\n'), 'c', 'a\nb', 'c\r', 'c'];
    for (const user of users) r.recordSuccess({ user, requestedModel: 'm', apiBase: user });
    const text = families(await p.render()).get('litellm_proxy_total_requests_metric_total')!;
    expect(text).toMatch(/user="a b".*\} 3$/m);
    expect(text).toMatch(/user="c".*\} 3$/m);
    expect(text.split('\n').filter((l) => l.includes('user='))).toHaveLength(2);
  });

  it("the key's per-model limits carry the model group; without them the call writes no such series", async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    const base = { hashedApiKey: 'k', requestedModel: 'group', model: 'provider/model-x' };
    r.recordSuccess({ ...base, rateLimits: { remainingRequests: 5 } });
    let fams = families(await p.render());
    expect(fams.get('litellm_remaining_requests_metric')).toContain('litellm_model_name="provider/model-x"');
    expect(fams.has('litellm_remaining_api_key_requests_for_model')).toBe(false);
    r.recordSuccess({ ...base, rateLimits: { remainingRequests: 4, keyRemainingTokens: 7 } });
    fams = families(await p.render());
    expect(fams.get('litellm_remaining_api_key_tokens_for_model')).toMatch(/model="group".*\} 7$/m);
    expect(fams.get('litellm_remaining_requests_metric')).toMatch(
      /litellm_model_name="provider\/model-x".*\} 4$/m,
    );
    // the other families of the call keep the provider model
    expect(fams.get('litellm_requests_metric_total')).toMatch(/model="provider\/model-x".*\} 2$/m); // cumulative: both calls
    expect(fams.get('litellm_requests_metric_total')).not.toContain('model="group"');
  });
});

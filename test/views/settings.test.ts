import { afterEach, describe, expect, it } from 'vitest';
import { MetricsConfigError, parseMetricsSettings } from '../../src/views/settings.js';
import { setupMetrics } from '../../src/record/setup.js';
import { families, inProcess, type InProcess } from '../support/in-process.js';
import { recordGoldenSequence, T0 } from '../support/events.js';

function configError(settings: unknown, lenient = false): MetricsConfigError {
  try {
    setupMetrics({ settings, lenientSettings: lenient });
  } catch (e) {
    expect(e).toBeInstanceOf(MetricsConfigError);
    return e as MetricsConfigError;
  }
  throw new Error('expected a configuration error');
}

describe('configuration errors name the key and the reason', () => {
  it('an unknown metric in prometheus_metrics_config', () => {
    const e = configError({ prometheus_metrics_config: [{ group: 'g', metrics: ['litellm_nope_metric'] }] });
    expect(e.key).toBe('prometheus_metrics_config[0].metrics[0]');
    expect(e.message).toContain('unknown metric litellm_nope_metric');
  });

  it('an exposed name instead of the family name gets a hint', () => {
    const e = configError({ prometheus_exclude_metrics: ['litellm_spend_metric_total'] });
    expect(e.key).toBe('prometheus_exclude_metrics[0]');
    expect(e.message).toContain('did you mean litellm_spend_metric?');
  });

  it('a GenAI metric without enable_genai_metrics', () => {
    const e = configError({ prometheus_exclude_metrics: ['gen_ai.client.token.usage'] });
    expect(e.message).toContain('enable_genai_metrics');
  });

  it('an unknown label in include_labels names the metric and its labels', () => {
    const e = configError({
      prometheus_metrics_config: [
        { group: 'spend', metrics: ['litellm_spend_metric'], include_labels: ['team', 'bogus'] },
      ],
    });
    expect(e.key).toBe('prometheus_metrics_config[0].include_labels[1]');
    expect(e.message).toContain('unknown label bogus for metric litellm_spend_metric');
  });

  it('an unknown label in prometheus_exclude_labels', () => {
    const e = configError({ prometheus_exclude_labels: ['end_user', 'no_such_label'] });
    expect(e.key).toBe('prometheus_exclude_labels[1]');
    expect(e.message).toContain('unknown label no_such_label');
  });

  it('unsorted latency buckets', () => {
    const e = configError({ prometheus_latency_buckets: [0.1, 0.5, 0.2] });
    expect(e.key).toBe('prometheus_latency_buckets');
    expect(e.message).toContain('strictly increasing');
  });

  it('empty latency buckets', () => {
    const e = configError({ prometheus_latency_buckets: [] });
    expect(e.key).toBe('prometheus_latency_buckets');
    expect(e.message).toContain('must not be empty');
  });

  it('non-finite latency buckets', () => {
    const e = configError({ prometheus_latency_buckets: [0.1, Infinity] });
    expect(e.key).toBe('prometheus_latency_buckets[1]');
  });

  it('a wrong type', () => {
    const e = configError({ custom_prometheus_tags: 'prod' });
    expect(e.key).toBe('custom_prometheus_tags');
  });

  it('a misspelt setting, also in lenient mode when it starts with prometheus_', () => {
    expect(configError({ prometheus_exlude_metrics: [] }).key).toBe('prometheus_exlude_metrics');
    expect(configError({ callbacks: ['prometheus'], prometheus_exlude_metrics: [] }, true).message).toContain(
      'prometheus_exlude_metrics: is not a known setting',
    );
  });

  it('lenient mode ignores the rest of litellm_settings', () => {
    expect(parseMetricsSettings({ callbacks: ['prometheus'], drop_params: true }, { lenient: true })).toEqual(
      {},
    );
  });

  it('a custom label that clashes with a default label', () => {
    expect(configError({ custom_prometheus_metadata_labels: ['team'] }).message).toContain('clashes');
  });
});

describe('selection through views', () => {
  let p: InProcess | undefined;
  afterEach(async () => p?.shutdown());

  async function render(settings: unknown): Promise<Map<string, string>> {
    const setup = setupMetrics({ settings });
    p = inProcess(setup.views);
    recordGoldenSequence(setup.createRecorder(p.provider, { now: () => T0 }));
    return families(await p.render());
  }

  it('prometheus_metrics_config emits only the listed metrics, with only the included labels, in LiteLLM order', async () => {
    const fams = await render({
      prometheus_metrics_config: [
        { group: 'spend', metrics: ['litellm_spend_metric'], include_labels: ['model', 'team'] },
        { group: 'requests', metrics: ['litellm_proxy_total_requests_metric'] },
      ],
    });
    expect([...fams.keys()].sort()).toEqual([
      'litellm_proxy_total_requests_metric_total',
      'litellm_spend_metric_total',
    ]);
    const spend = fams.get('litellm_spend_metric_total')!.split('\n').slice(2);
    expect(spend).toEqual([
      'litellm_spend_metric_total{model="gpt-4o-2024-08-06",team="team-1"} 0.00165',
      'litellm_spend_metric_total{model="claude-3-5-sonnet",team="team-1"} 0.003',
    ]);
  });

  it('prometheus_exclude_metrics and prometheus_exclude_labels remove families and labels everywhere', async () => {
    const fams = await render({
      prometheus_exclude_metrics: ['litellm_requests_metric'],
      prometheus_exclude_labels: ['end_user', 'user_agent', 'client_ip'],
    });
    expect(fams.has('litellm_requests_metric_total')).toBe(false);
    const all = [...fams.values()].join('\n');
    expect(all).not.toMatch(/end_user=|user_agent=|client_ip=/);
    expect(fams.get('litellm_proxy_failed_requests_metric_total')).toContain(
      'exception_class="Anthropic.InternalServerError"',
    );
  });

  it('custom metadata labels and tags are appended after the default labels', async () => {
    const setup = setupMetrics({
      settings: {
        custom_prometheus_metadata_labels: ['metadata.tenant.id'],
        custom_prometheus_tags: ['prod', 'beta'],
      },
    });
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    r.recordSuccess({
      requestedModel: 'm',
      metadata: { tenant: { id: 'acme' } },
      tags: ['prod'],
      responseCost: 1,
    });
    r.recordCallbackFailure('langfuse');
    const fams = families(await p.render());
    expect(fams.get('litellm_spend_metric_total')).toContain(
      'model_id="None",api_provider="None",metadata_tenant_id="acme",tag_prod="true",tag_beta="false"} 1',
    );
    // families LiteLLM declares without custom labels do not get them
    expect(fams.get('litellm_callback_logging_failures_metric_total')).toContain(
      '{callback_name="langfuse"} 1',
    );
  });

  it('prometheus_latency_buckets replaces the latency buckets only where LiteLLM applies it', async () => {
    const setup = setupMetrics({ settings: { prometheus_latency_buckets: [0.5, 1, 5] } });
    p = inProcess(setup.views);
    recordGoldenSequence(setup.createRecorder(p.provider, { now: () => T0 }));
    const fams = families(await p.render());
    const les = (name: string) => [
      ...new Set([...fams.get(name)!.matchAll(/le="([^"]+)"/g)].map((m) => m[1])),
    ];
    expect(les('litellm_request_total_latency_metric')).toEqual(['0.5', '1', '5', '+Inf']);
    expect(les('litellm_guardrail_latency_seconds')).toEqual(['0.5', '1', '5', '+Inf']);
    expect(les('litellm_deployment_latency_per_output_token')).toHaveLength(15);
  });

  it('end_user is "None" unless end-user tracking is on', async () => {
    const fams = await render({});
    expect(fams.get('litellm_spend_metric_total')).toContain('end_user="None"');
    expect(fams.has('litellm_remaining_customer_budget_metric')).toBe(false);
  });
});

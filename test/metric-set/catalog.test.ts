import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { GENAI_FAMILIES, LITELLM_FAMILIES } from '../../src/metric-set/index.js';
import { setupMetrics } from '../../src/record/setup.js';
import { RECORDED_FAMILIES } from '../../src/record/recorder.js';
import { families, inProcess, type InProcess } from '../support/in-process.js';
import { recordGoldenSequence, T0 } from '../support/events.js';

interface Reference {
  name: string;
  exposed_names: string[];
  type: string;
  description: string;
  labels: string[];
  buckets?: { newest?: (number | string)[] };
  multiprocess: string;
}

// The project's reference of LiteLLM's metric set (tests may read shared data; src never does).
const reference: Reference[] = JSON.parse(
  readFileSync(new URL('../../../shared/litellm/metric-set.json', import.meta.url), 'utf8'),
);
const byName = new Map(reference.map((r) => [r.name, r]));

describe('the catalog matches LiteLLM metric set reference', () => {
  it.each(LITELLM_FAMILIES.map((f) => [f.name, f] as const))(
    '%s: name, type, help, labels, buckets',
    (_n, f) => {
      const ref = byName.get(f.name);
      expect(ref, `${f.name} is in the reference`).toBeDefined();
      expect(f.type).toBe(ref!.type);
      expect(f.help).toBe(ref!.description);
      expect([...f.labels]).toEqual(ref!.labels);
      // the instrument name is the exposed sample name for counters (with _total), the family name otherwise
      expect(f.instrumentName).toBe(f.type === 'counter' ? ref!.exposed_names[0] : f.name);
      if (f.type === 'histogram') {
        const newest = ref!.buckets!.newest!;
        expect(newest.at(-1)).toBe('+Inf');
        expect([...f.buckets!]).toEqual(newest.slice(0, -1));
      } else {
        expect(f.buckets).toBeUndefined();
      }
      // cross-worker semantics: counters/histograms sum; livesum gauges per process; other gauges last value
      const expected =
        f.type !== 'gauge' ? 'sum' : ref!.multiprocess.includes('livesum') ? 'livesum' : 'last';
      expect(f.crossWorker).toBe(expected);
    },
  );

  it('every family the recorder writes by name is a LiteLLM family (a misspelt name would record nothing)', () => {
    const names = new Set(LITELLM_FAMILIES.map((f) => f.name));
    for (const name of RECORDED_FAMILIES) expect(names.has(name), name).toBe(true);
    expect(new Set(RECORDED_FAMILIES).size).toBe(RECORDED_FAMILIES.length);
  });

  it('includes every family the foundation issue lists', () => {
    const required = [
      'litellm_proxy_total_requests_metric',
      'litellm_proxy_failed_requests_metric',
      'litellm_requests_metric',
      'litellm_llm_api_failed_requests_metric',
      'litellm_request_total_latency_metric',
      'litellm_llm_api_latency_metric',
      'litellm_llm_api_time_to_first_token_metric',
      'litellm_overhead_latency_metric',
      'litellm_request_queue_time_seconds',
      'litellm_deployment_latency_per_output_token',
      'litellm_total_tokens_metric',
      'litellm_input_tokens_metric',
      'litellm_output_tokens_metric',
      'litellm_input_cached_tokens_metric',
      'litellm_input_cache_creation_tokens_metric',
      'litellm_output_reasoning_tokens_metric',
      'litellm_input_audio_tokens_metric',
      'litellm_output_audio_tokens_metric',
      'litellm_spend_metric',
      'litellm_cache_hits_metric',
      'litellm_cache_misses_metric',
      'litellm_cached_tokens_metric',
      'litellm_provider_remaining_budget_metric',
      'litellm_remaining_requests_metric',
      'litellm_remaining_tokens_metric',
      'litellm_remaining_api_key_requests_for_model',
      'litellm_remaining_api_key_tokens_for_model',
      'litellm_deployment_state',
      'litellm_deployment_success_responses',
      'litellm_deployment_failure_responses',
      'litellm_deployment_total_requests',
      'litellm_deployment_cooled_down',
      'litellm_deployment_successful_fallbacks',
      'litellm_deployment_failed_fallbacks',
      'litellm_deployment_rpm_limit',
      'litellm_deployment_tpm_limit',
      'litellm_in_flight_requests',
      'litellm_guardrail_latency_seconds',
      'litellm_guardrail_requests_total',
      'litellm_guardrail_errors_total',
      'litellm_callback_logging_failures_metric',
    ];
    for (const holder of ['team', 'api_key', 'user', 'org', 'customer']) {
      required.push(
        `litellm_remaining_${holder}_budget_metric`,
        `litellm_${holder}_max_budget_metric`,
        `litellm_${holder}_budget_remaining_hours_metric`,
      );
    }
    const names = new Set(LITELLM_FAMILIES.map((f) => f.name));
    expect(required.filter((r) => !names.has(r))).toEqual([]);
    expect(names.size).toBe(LITELLM_FAMILIES.length);
  });
});

describe('every catalog family is emitted by a representative set of events', () => {
  let p: InProcess | undefined;
  afterEach(async () => p?.shutdown());

  it('the golden sequence emits all LiteLLM families under their exposed names, with their HELP text', async () => {
    const setup = setupMetrics({ settings: { enable_end_user_cost_tracking_prometheus_only: true } });
    p = inProcess(setup.views);
    recordGoldenSequence(setup.createRecorder(p.provider, { now: () => T0 }));
    const rendered = families(await p.render());
    for (const f of LITELLM_FAMILIES) {
      const exposed = f.instrumentName;
      const block = rendered.get(exposed);
      expect(block, `${f.name} rendered as ${exposed}`).toBeDefined();
      expect(block!.split('\n')[0]).toBe(`# HELP ${exposed} ${f.help}`);
      expect(block!.split('\n')[1]).toBe(`# TYPE ${exposed} ${f.type}`);
      const sample = block!.split('\n')[2]!;
      const labelNames = [...sample.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)]
        .map((m) => m[1])
        .filter((l) => l !== 'le');
      expect(labelNames, `${f.name} label order`).toEqual([...f.labels]);
    }
    expect(rendered.size).toBe(LITELLM_FAMILIES.length);
  });

  it('with enable_genai_metrics, the GenAI semantic-convention metrics are emitted with their attributes and buckets', async () => {
    const setup = setupMetrics({ settings: { enable_genai_metrics: true } });
    p = inProcess(setup.views);
    recordGoldenSequence(setup.createRecorder(p.provider, { now: () => T0 }));
    const { resourceMetrics } = await p.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    for (const g of GENAI_FAMILIES) {
      const m = metrics.find((x) => x.descriptor.name === g.name);
      expect(m, g.name).toBeDefined();
      expect(m!.descriptor.unit).toBe(g.unit);
      const dp = m!.dataPoints[0]!;
      expect((dp.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([...g.buckets!]);
      for (const k of Object.keys(dp.attributes)) expect(g.labels).toContain(k);
      expect(dp.attributes['gen_ai.operation.name']).toBe('chat');
    }
    const usage = metrics.find((x) => x.descriptor.name === 'gen_ai.client.token.usage')!;
    const input = usage.dataPoints.filter((d) => d.attributes['gen_ai.token.type'] === 'input');
    expect(input.reduce((s, d) => s + (d.value as { sum: number }).sum, 0)).toBe(100 + 30 + 50);
    const failed = metrics
      .find((x) => x.descriptor.name === 'gen_ai.client.operation.duration')!
      .dataPoints.filter((d) => d.attributes['error.type'] === 'RateLimitError');
    expect(failed).toHaveLength(1);
  });
});

// The e2e workload: one fake LLM and one proxy config that make every panel of the shipped dashboard
// get data (faults, streams, fallbacks that succeed and fail, cooldowns, budgets, rate-limit headers),
// and the request mix sent through it. The expected metric values are computed from the client's
// outcomes and the fake LLM's stats.

import { startFakeLlm, type FakeLlm } from '../../../src/fake-llm/index.js';
import type { ChatRequest, Prices } from './workload.js';

export const PRICES: Prices = { input: 0.0000025, output: 0.00001 };

export const KEYS = [
  {
    key: 'sk-e2e-team-a',
    key_alias: 'team-a-key',
    team_id: 'team-a',
    team_alias: 'Team A',
    user_id: 'alice',
    max_budget: 1000,
  },
  {
    key: 'sk-e2e-team-b',
    key_alias: 'team-b-key',
    team_id: 'team-b',
    team_alias: 'Team B',
    user_id: 'bob',
    max_budget: 500,
  },
] as const;

/**
 * Upstream models: `gpt-4o` fails `failureRate` of its requests (429/500/503, seeded), `good-model`
 * never fails, `broken-model` always answers 500 and `other-broken` always 503.
 */
export function startWorkloadFakeLlm(seed: number, failureRate = 0.2): Promise<FakeLlm> {
  return startFakeLlm({
    seed,
    failureRate,
    failureStatuses: [429, 500, 503],
    latencyMs: { min: 2, max: 25 },
    streamChunks: 4,
    failModels: { 'broken-model': 500, 'other-broken': 503 },
    modelOverrides: { 'good-model': { failureRate: 0 } },
  });
}

export interface WorkloadConfigOptions {
  /** Extra `litellm_settings.metrics_export` keys (e.g. free aggregator ports). Default none. */
  metricsExport?: Record<string, unknown>;
  /**
   * `router_settings.allowed_fails`. Default 10: LiteLLM's count rule (per worker; the count expires
   * `cooldown_time` after the last failure), so the always-failing `primary` deployment cools down in
   * each worker and the `gpt-4o` ones (~20 % failures) now and then. Unset, LiteLLM's failure-rate rule
   * would cool a gpt-4o deployment down on every 429 and half the load would be "No deployments
   * available".
   */
  allowedFails?: number;
}

/** The proxy config (LiteLLM's shape) for the workload against `fakeUrl`. */
export function workloadProxyConfig(
  fakeUrl: string,
  options: WorkloadConfigOptions = {},
): Record<string, unknown> {
  const dep = (group: string, upstream: string, id: string) => ({
    model_name: group,
    litellm_params: {
      model: `openai/${upstream}`,
      api_base: fakeUrl,
      input_cost_per_token: PRICES.input,
      output_cost_per_token: PRICES.output,
      rpm: 6000,
      tpm: 1_000_000,
    },
    model_info: { id },
  });
  return {
    model_list: [
      dep('gpt-4o', 'gpt-4o', 'gpt-4o-east'),
      dep('gpt-4o', 'gpt-4o', 'gpt-4o-west'),
      dep('primary', 'broken-model', 'primary-broken'),
      dep('backup', 'good-model', 'backup-good'),
      dep('doomed', 'broken-model', 'doomed-broken'),
      dep('also-broken', 'other-broken', 'also-broken-1'),
    ],
    router_settings: {
      routing_strategy: 'simple-shuffle',
      fallbacks: [{ primary: ['backup'] }, { doomed: ['also-broken'] }],
      allowed_fails: options.allowedFails ?? 10,
      cooldown_time: 1,
      num_retries: 0,
    },
    litellm_settings: options.metricsExport ? { metrics_export: options.metricsExport } : {},
    general_settings: { master_key: 'sk-e2e-master', virtual_keys: KEYS.map((k) => ({ ...k })) },
  };
}

/**
 * Request `i` of a load: 80% to `gpt-4o` (every 4th of those streamed), 12% to `primary` (always
 * rescued by the fallback to `backup`), 8% to `doomed` (its fallback fails too); keys alternate.
 */
export function workloadRequest(i: number): ChatRequest {
  const key = KEYS[i % 2]!.key;
  const slot = i % 25;
  const model = slot < 20 ? 'gpt-4o' : slot < 23 ? 'primary' : 'doomed';
  return {
    model,
    key,
    stream: model === 'gpt-4o' && i % 4 === 0,
    content: `request ${i} `.repeat(1 + (i % 5)),
    maxTokens: 4 + (i % 7),
  };
}

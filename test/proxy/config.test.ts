// The proxy's config: LiteLLM's shape accepted, `os.environ/` references resolved, and every bad config
// refused at start with the key path and the reason (in-process, and through the real CLI: exit 1).

import { describe, expect, it } from 'vitest';
import { parseProxyConfig, ProxyConfigError } from '../../src/proxy/config.js';
import { runCli, writeConfig } from './support/harness.js';

const base = () => ({
  model_list: [
    {
      model_name: 'gpt-4o',
      litellm_params: {
        model: 'openai/gpt-4o',
        api_base: 'http://127.0.0.1:9/v1',
        api_key: 'os.environ/TEST_KEY',
      },
      model_info: { id: 'a', input_cost_per_token: 0.5 },
    },
    {
      model_name: 'claude',
      litellm_params: {
        model: 'anthropic/claude-3',
        api_base: 'http://127.0.0.1:9/v1/',
        rpm: '60',
        output_cost_per_token: 2,
      },
    },
  ],
});

function errorOf(doc: unknown, env: NodeJS.ProcessEnv = { TEST_KEY: 'k' }): ProxyConfigError {
  try {
    parseProxyConfig(doc, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ProxyConfigError);
    return e as ProxyConfigError;
  }
  throw new Error('config was accepted');
}

describe('proxy config', () => {
  it("reads LiteLLM's shape: deployments, providers, prices, env references, defaults", () => {
    const c = parseProxyConfig(
      {
        ...base(),
        router_settings: { fallbacks: [{ 'gpt-4o': ['claude'] }] },
        litellm_settings: { callbacks: ['prometheus'], request_timeout: 12, set_verbose: false },
        general_settings: {
          master_key: 'sk-1',
          virtual_keys: [{ key: 'sk-v', team_id: 't', max_budget: 5 }],
        },
      },
      { TEST_KEY: 'secret' },
    );
    expect(c.deployments.map((d) => [d.id, d.group, d.provider, d.upstreamModel, d.apiBase])).toEqual([
      ['a', 'gpt-4o', 'openai', 'gpt-4o', 'http://127.0.0.1:9/v1'],
      ['claude-1', 'claude', 'anthropic', 'claude-3', 'http://127.0.0.1:9/v1'],
    ]);
    expect(c.deployments[0]!.apiKey).toBe('secret');
    expect(c.deployments[0]!.inputCostPerToken).toBe(0.5); // from model_info
    expect(c.deployments[1]!.outputCostPerToken).toBe(2); // from litellm_params
    expect(c.deployments[1]!.rpm).toBe(60); // numeric string accepted
    expect(c.deployments[0]!.timeoutMs).toBe(12_000);
    expect(c.fallbacks.get('gpt-4o')).toEqual(['claude']);
    expect(c.allowedFails).toBe(3);
    expect(c.cooldownTimeMs).toBe(5000);
    expect(c.numRetries).toBe(0);
    expect(c.virtualKeys[0]).toMatchObject({ key: 'sk-v', teamId: 't', maxBudget: 5 });
    expect(c.metricsExport).toMatchObject({
      endpoint: undefined,
      exportThread: true,
      aggregatorOtlpPort: 4318,
      aggregatorPrometheusPort: 8889,
    });
  });

  it.each([
    [{}, 'model_list', 'is required'],
    [{ model_list: [] }, 'model_list', 'at least one'],
    [
      { model_list: [{ model_name: 'x', litellm_params: { model: 'm', api_base: 'ftp://h' } }] },
      'model_list[0].litellm_params.api_base',
      'http',
    ],
    [
      { model_list: [{ model_name: 'x', litellm_params: { api_base: 'http://h' } }] },
      'model_list[0].litellm_params.model',
      'is required',
    ],
    [
      { ...base(), router_settings: { fallbacks: [{ 'gpt-4o': ['nope'] }] } },
      'router_settings.fallbacks[0].gpt-4o',
      '"nope" is not a model_name',
    ],
    [
      { ...base(), router_settings: { routing_strategy: 'least-busy' } },
      'router_settings.routing_strategy',
      '',
    ],
    [{ ...base(), router_settings: { allowed_fails: -1 } }, 'router_settings.allowed_fails', '>= 0'],
    [
      { ...base(), litellm_settings: { prometheus_latency_buckets: [2, 1] } },
      'litellm_settings.prometheus_latency_buckets',
      'increasing',
    ],
    [
      { ...base(), litellm_settings: { prometheus_exclude_metricz: ['x'] } },
      'litellm_settings.prometheus_exclude_metricz',
      'not a known setting',
    ],
    [
      { ...base(), litellm_settings: { metrics_export: { endpoint: 'nope' } } },
      'litellm_settings.metrics_export.endpoint',
      'URL',
    ],
    [
      { ...base(), litellm_settings: { metrics_export: { export_thread: 'no' } } },
      'litellm_settings.metrics_export.export_thread',
      'boolean',
    ],
    [
      { ...base(), general_settings: { virtual_keys: [{ key: 'sk-v' }] } },
      'general_settings.master_key',
      'required when virtual_keys',
    ],
    [
      { ...base(), general_settings: { master_key: 'sk-1', virtual_keys: [{ key: 'sk-v', budget: 1 }] } },
      'general_settings.virtual_keys[0].budget',
      'not a known key',
    ],
  ])('refuses %j at %s', (doc, key, reason) => {
    const e = errorOf(doc);
    expect(e.key).toBe(key);
    expect(e.reason).toContain(reason);
    expect(e.message).toContain(key);
  });

  it('metrics_export.export_thread: false reaches the worker options', () => {
    const c = parseProxyConfig(
      { ...base(), litellm_settings: { metrics_export: { export_thread: false } } },
      {
        TEST_KEY: 'k',
      },
    );
    expect(c.metricsExport.exportThread).toBe(false);
  });

  it('names the key whose environment variable is missing', () => {
    const e = errorOf(base(), {});
    expect(e.key).toBe('model_list[0].litellm_params.api_key');
    expect(e.reason).toBe('environment variable TEST_KEY is not set');
  });

  it('the CLI exits 1 before listening, printing the key and the reason', async () => {
    const file = writeConfig({ ...base(), router_settings: { cooldown_time: 'soon' } });
    const r = await runCli(['proxy', '--config', file, '--port', '0', '--host', '127.0.0.1'], 30_000, {
      TEST_KEY: 'k',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid proxy config router_settings.cooldown_time');
    expect(r.stdout).not.toContain('listening');
    const missing = await runCli(['proxy', '--config', '/nonexistent/config.yaml', '--port', '0'], 30_000);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read /nonexistent/config.yaml');
  }, 60_000);
});

// The reference proxy's configuration: a YAML file in LiteLLM's config.yaml shape (model_list,
// router_settings, litellm_settings, general_settings), validated once at start. `os.environ/NAME`
// values are read from the environment, as LiteLLM does. Every error names the key path and the reason.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { setupMetrics, type MetricsSetup } from '../record/setup.js';
import { MetricsConfigError } from '../views/settings.js';

/** A configuration error: the key path that is wrong and why. */
export class ProxyConfigError extends Error {
  readonly code = 'LOM_ERR_PROXY_CONFIG';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid proxy config ${key}: ${reason}`);
    this.name = 'ProxyConfigError';
  }
}

const ENV_PREFIX = 'os.environ/';

const nonNegative = z.number().nonnegative('must be >= 0').finite('must be finite');
const positive = z.number().positive('must be > 0').finite('must be finite');
const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http:// or https:// URL');

const priceFields = {
  input_cost_per_token: nonNegative.optional(),
  output_cost_per_token: nonNegative.optional(),
};

const litellmParamsSchema = z
  .object({
    model: z.string().min(1, 'must not be empty'),
    api_base: httpUrl,
    api_key: z.string().optional(),
    rpm: z.number().int('must be an integer').positive('must be > 0').optional(),
    tpm: z.number().int('must be an integer').positive('must be > 0').optional(),
    /** Seconds; LiteLLM's per-deployment `timeout`. */
    timeout: positive.optional(),
    /** Seconds; the same, LiteLLM's other name. */
    request_timeout: positive.optional(),
    /** Seconds to the first byte of a stream (LiteLLM's `stream_timeout`). */
    stream_timeout: positive.optional(),
    ...priceFields,
  })
  .passthrough();

const modelInfoSchema = z
  .object({
    id: z.string().min(1).optional(),
    ...priceFields,
  })
  .passthrough();

const modelEntrySchema = z.object({
  model_name: z.string().min(1, 'must not be empty'),
  litellm_params: litellmParamsSchema,
  model_info: modelInfoSchema.optional(),
});

const fallbackSchema = z.record(
  z.string(),
  z.array(z.string().min(1)).min(1, 'must list at least one model group'),
);

const routerSettingsSchema = z
  .object({
    /** `simple-shuffle` (LiteLLM's default) or `round-robin` (this proxy's deterministic extension). */
    routing_strategy: z.enum(['simple-shuffle', 'round-robin']).optional(),
    fallbacks: z.array(fallbackSchema).optional(),
    /** Failures of a deployment within one minute before it is cooled down (LiteLLM default 3). */
    allowed_fails: z.number().int('must be an integer').nonnegative('must be >= 0').optional(),
    /** Seconds a cooled-down deployment is skipped (LiteLLM default 5). */
    cooldown_time: nonNegative.optional(),
    /** Retries in the same model group before falling back (default 0 here). */
    num_retries: z
      .number()
      .int('must be an integer')
      .nonnegative('must be >= 0')
      .max(10, 'must be <= 10')
      .optional(),
    /** Seconds; router-wide upstream timeout. */
    timeout: positive.optional(),
  })
  .passthrough();

const exportSchema = z
  .object({
    /** false: no metrics at all (no recorder, no export, no aggregator); for benchmarks. Default true. */
    enabled: z.boolean().optional(),
    /** OTLP/HTTP metrics URL of a collector; when set, the primary runs no embedded aggregator. */
    endpoint: httpUrl.optional(),
    export_interval_millis: z.number().int().positive().optional(),
    temporality: z.enum(['delta', 'cumulative']).optional(),
    protocol: z.enum(['http/json', 'http/protobuf']).optional(),
    service_name: z.string().min(1).optional(),
    /** false: each worker sends its OTLP requests from its main thread (saves a thread, ~24 MB per worker). Default true. */
    export_thread: z.boolean().optional(),
    /** Embedded aggregator's listen host/ports (when it runs). */
    aggregator_host: z.string().min(1).optional(),
    aggregator_otlp_port: z.number().int().min(0).max(65535).optional(),
    aggregator_prometheus_port: z.number().int().min(0).max(65535).optional(),
  })
  .strict();

const litellmSettingsSchema = z
  .object({
    /** Seconds; LiteLLM's global upstream timeout (default 600). */
    request_timeout: positive.optional(),
    /** Where the workers export their metrics, and the embedded aggregator's ports. */
    metrics_export: exportSchema.optional(),
  })
  .passthrough();

const virtualKeySchema = z
  .object({
    key: z.string().min(1, 'must not be empty'),
    key_alias: z.string().optional(),
    team_id: z.string().optional(),
    team_alias: z.string().optional(),
    user_id: z.string().optional(),
    user_email: z.string().optional(),
    max_budget: nonNegative.optional(),
    /** Model groups this key may call; absent = all. */
    models: z.array(z.string().min(1)).optional(),
  })
  .strict();

const generalSettingsSchema = z
  .object({
    master_key: z.string().min(1, 'must not be empty').optional(),
    virtual_keys: z.array(virtualKeySchema).optional(),
    user_header_name: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  })
  .passthrough();

const configSchema = z
  .object({
    model_list: z.array(modelEntrySchema).min(1, 'must list at least one model'),
    router_settings: routerSettingsSchema.optional(),
    litellm_settings: litellmSettingsSchema.optional(),
    general_settings: generalSettingsSchema.optional(),
    environment_variables: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();

export type RawProxyConfig = z.output<typeof configSchema>;

/** One deployment: a model group member the router can call. */
export interface Deployment {
  /** The model group (`model_name`). */
  readonly group: string;
  /** `model_info.id`, or `<group>-<index>` when absent. */
  readonly id: string;
  /** LiteLLM's `model` with any provider prefix, e.g. `openai/gpt-4o`. */
  readonly litellmModel: string;
  /** The model name sent upstream (prefix removed), e.g. `gpt-4o`. */
  readonly upstreamModel: string;
  /** The provider (`openai` when no prefix). */
  readonly provider: string;
  /** `api_base` without a trailing slash. */
  readonly apiBase: string;
  readonly apiKey: string | undefined;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  /** USD per prompt token. */
  readonly inputCostPerToken: number;
  /** USD per completion token. */
  readonly outputCostPerToken: number;
  /** Upstream timeout, ms. */
  readonly timeoutMs: number;
  /** Timeout to the first streamed byte, ms. */
  readonly streamTimeoutMs: number;
}

export interface VirtualKey {
  readonly key: string;
  readonly keyAlias: string | undefined;
  readonly teamId: string | undefined;
  readonly teamAlias: string | undefined;
  readonly userId: string | undefined;
  readonly userEmail: string | undefined;
  readonly maxBudget: number | undefined;
  readonly models: readonly string[] | undefined;
}

export interface MetricsExportConfig {
  readonly enabled: boolean;
  readonly endpoint: string | undefined;
  readonly exportIntervalMillis: number | undefined;
  readonly temporality: 'delta' | 'cumulative' | undefined;
  readonly protocol: 'http/json' | 'http/protobuf' | undefined;
  readonly serviceName: string | undefined;
  readonly exportThread: boolean;
  readonly aggregatorHost: string;
  readonly aggregatorOtlpPort: number;
  readonly aggregatorPrometheusPort: number;
}

export interface ProxyConfig {
  readonly deployments: readonly Deployment[];
  /** Model group names in config order. */
  readonly groups: readonly string[];
  readonly routingStrategy: 'simple-shuffle' | 'round-robin';
  /** group -> ordered fallback groups. */
  readonly fallbacks: ReadonlyMap<string, readonly string[]>;
  readonly allowedFails: number;
  readonly cooldownTimeMs: number;
  readonly numRetries: number;
  readonly masterKey: string | undefined;
  readonly virtualKeys: readonly VirtualKey[];
  readonly userHeaderName: string | readonly string[] | undefined;
  /** The whole `litellm_settings` block (the metrics settings are read from it). */
  readonly litellmSettings: Record<string, unknown>;
  readonly metricsExport: MetricsExportConfig;
  /** The validated metrics setup (views, selection, recorder factory). */
  readonly metrics: MetricsSetup;
}

export const DEFAULT_ALLOWED_FAILS = 3;
export const DEFAULT_COOLDOWN_TIME_SECONDS = 5;
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 600;
export const DEFAULT_AGGREGATOR_OTLP_PORT = 4318;
export const DEFAULT_AGGREGATOR_PROMETHEUS_PORT = 8889;

function pathToKey(path: readonly PropertyKey[]): string {
  let key = '';
  for (const p of path) key += typeof p === 'number' ? `[${p}]` : key === '' ? String(p) : `.${String(p)}`;
  return key;
}

/** Replaces every `os.environ/NAME` string with the variable's value; a missing variable is an error. */
function resolveEnvRefs(value: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENV_PREFIX)) return value;
    const name = value.slice(ENV_PREFIX.length);
    const v = env[name];
    if (v === undefined) throw new ProxyConfigError(path, `environment variable ${name} is not set`);
    return v;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnvRefs(v, env, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/** Numbers given as strings (from `os.environ/` or quoted YAML) where numbers are expected. */
const NUMERIC_PARAM_KEYS = [
  'rpm',
  'tpm',
  'timeout',
  'request_timeout',
  'stream_timeout',
  'input_cost_per_token',
  'output_cost_per_token',
];

function coerceNumbers(obj: Record<string, unknown> | undefined): void {
  if (!obj) return;
  for (const k of NUMERIC_PARAM_KEYS) {
    const v = obj[k];
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) obj[k] = Number(v);
  }
}

function splitProvider(model: string): { provider: string; upstreamModel: string } {
  const i = model.indexOf('/');
  if (i <= 0) return { provider: 'openai', upstreamModel: model };
  return { provider: model.slice(0, i), upstreamModel: model.slice(i + 1) };
}

/** Validates a parsed config document (already YAML-parsed). Throws {@link ProxyConfigError}. */
export function parseProxyConfig(doc: unknown, env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ProxyConfigError('(config)', 'must be a YAML mapping');
  const resolved = resolveEnvRefs(doc, env, '') as Record<string, unknown>;
  if (Array.isArray(resolved.model_list)) {
    for (const m of resolved.model_list as Record<string, unknown>[]) {
      if (m && typeof m === 'object') {
        coerceNumbers(m.litellm_params as Record<string, unknown> | undefined);
        coerceNumbers(m.model_info as Record<string, unknown> | undefined);
      }
    }
  }
  // reportInput: a wrong value is told apart from a missing one ("is required")
  const parsed = configSchema.safeParse(resolved, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const base = pathToKey(issue.path);
      const k = issue.keys[0]!;
      throw new ProxyConfigError(base ? `${base}.${k}` : k, 'is not a known key');
    }
    const key = pathToKey(issue.path) || '(config)';
    const reason = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    throw new ProxyConfigError(key, reason);
  }
  const c = parsed.data;
  const rs = c.router_settings ?? {};
  const ls = c.litellm_settings ?? {};
  const gs = c.general_settings ?? {};
  const globalTimeoutS = rs.timeout ?? ls.request_timeout ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;

  const ids = new Set<string>();
  const groups: string[] = [];
  const deployments: Deployment[] = c.model_list.map((m, i) => {
    const p = m.litellm_params;
    const { provider, upstreamModel } = splitProvider(p.model);
    const id = m.model_info?.id ?? `${m.model_name}-${i}`;
    if (ids.has(id))
      throw new ProxyConfigError(`model_list[${i}].model_info.id`, `duplicate deployment id "${id}"`);
    ids.add(id);
    if (!groups.includes(m.model_name)) groups.push(m.model_name);
    const timeoutS = p.timeout ?? p.request_timeout ?? globalTimeoutS;
    return {
      group: m.model_name,
      id,
      litellmModel: p.model,
      upstreamModel,
      provider,
      apiBase: p.api_base.replace(/\/+$/, ''),
      apiKey: p.api_key,
      rpm: p.rpm,
      tpm: p.tpm,
      inputCostPerToken: p.input_cost_per_token ?? m.model_info?.input_cost_per_token ?? 0,
      outputCostPerToken: p.output_cost_per_token ?? m.model_info?.output_cost_per_token ?? 0,
      timeoutMs: timeoutS * 1000,
      streamTimeoutMs: (p.stream_timeout ?? timeoutS) * 1000,
    };
  });

  const fallbacks = new Map<string, string[]>();
  (rs.fallbacks ?? []).forEach((entry, i) => {
    for (const [from, to] of Object.entries(entry)) {
      const key = `router_settings.fallbacks[${i}].${from}`;
      if (!groups.includes(from))
        throw new ProxyConfigError(key, `"${from}" is not a model_name in model_list`);
      for (const t of to) {
        if (!groups.includes(t))
          throw new ProxyConfigError(key, `fallback "${t}" is not a model_name in model_list`);
        if (t === from) throw new ProxyConfigError(key, 'a model group cannot fall back to itself');
      }
      fallbacks.set(from, [...(fallbacks.get(from) ?? []), ...to]);
    }
  });

  const keys = new Set<string>();
  const virtualKeys: VirtualKey[] = (gs.virtual_keys ?? []).map((k, i) => {
    if (keys.has(k.key) || k.key === gs.master_key)
      throw new ProxyConfigError(`general_settings.virtual_keys[${i}].key`, 'duplicate key');
    keys.add(k.key);
    for (const m of k.models ?? []) {
      if (!groups.includes(m))
        throw new ProxyConfigError(
          `general_settings.virtual_keys[${i}].models`,
          `"${m}" is not a model_name in model_list`,
        );
    }
    return {
      key: k.key,
      keyAlias: k.key_alias,
      teamId: k.team_id,
      teamAlias: k.team_alias,
      userId: k.user_id,
      userEmail: k.user_email,
      maxBudget: k.max_budget,
      models: k.models,
    };
  });
  if (virtualKeys.length > 0 && gs.master_key === undefined)
    throw new ProxyConfigError('general_settings.master_key', 'is required when virtual_keys are configured');

  let metrics: MetricsSetup;
  const { metrics_export: _exp, ...metricsSettings } = ls;
  try {
    metrics = setupMetrics({ settings: metricsSettings, lenientSettings: true });
  } catch (e) {
    if (e instanceof MetricsConfigError) throw new ProxyConfigError(`litellm_settings.${e.key}`, e.reason);
    throw e;
  }

  const ex = ls.metrics_export ?? {};
  return {
    deployments,
    groups,
    routingStrategy: rs.routing_strategy ?? 'simple-shuffle',
    fallbacks,
    allowedFails: rs.allowed_fails ?? DEFAULT_ALLOWED_FAILS,
    cooldownTimeMs: (rs.cooldown_time ?? DEFAULT_COOLDOWN_TIME_SECONDS) * 1000,
    numRetries: rs.num_retries ?? 0,
    masterKey: gs.master_key,
    virtualKeys,
    userHeaderName: gs.user_header_name,
    litellmSettings: ls,
    metricsExport: {
      enabled: ex.enabled !== false,
      endpoint: ex.endpoint,
      exportIntervalMillis: ex.export_interval_millis,
      temporality: ex.temporality,
      protocol: ex.protocol,
      serviceName: ex.service_name,
      exportThread: ex.export_thread !== false,
      aggregatorHost: ex.aggregator_host ?? '127.0.0.1',
      aggregatorOtlpPort: ex.aggregator_otlp_port ?? DEFAULT_AGGREGATOR_OTLP_PORT,
      aggregatorPrometheusPort: ex.aggregator_prometheus_port ?? DEFAULT_AGGREGATOR_PROMETHEUS_PORT,
    },
    metrics,
  };
}

/** Reads and validates a YAML config file. Throws {@link ProxyConfigError}. */
export function loadProxyConfig(file: string, env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ProxyConfigError('(file)', `cannot read ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ProxyConfigError('(yaml)', `${file} is not valid YAML: ${(e as Error).message}`);
  }
  return parseProxyConfig(doc, env);
}

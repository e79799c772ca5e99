// The three ways of recording one full LiteLLM success event that the recording benchmark compares:
// ours (recorder + views), the bare OTel SDK with the same instruments, and prom-client with the same
// families and labels. Each variant does the same work per event: derive the label values, build one
// label object per family, and write the same values.

import { createHash } from 'node:crypto';
import {
  MeterProvider,
  MetricReader,
  AggregationTemporality,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { Attributes } from '@opentelemetry/api';
import client from 'prom-client';
import { LITELLM_FAMILIES } from '../../src/metric-set/index.js';
import { setupMetrics } from '../../src/record/setup.js';
import type { RequestEvent } from '../../src/record/event.js';

class DeltaReader extends MetricReader {
  constructor(metricProducers?: MetricProducer[]) {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA, metricProducers });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export const T0 = Date.UTC(2026, 0, 1);

/** A full streaming success: every default family a success writes. `i` varies user and key (20 each). */
export function successEvent(i: number): RequestEvent {
  const u = i % 20;
  return {
    apiKey: `sk-bench-key-${u}`,
    apiKeyAlias: `key-${u}`,
    team: 'team-1',
    teamAlias: 'Team One',
    user: `user-${u}`,
    userEmail: `user${u}@example.com`,
    endUser: 'None',
    route: '/v1/chat/completions',
    clientIp: '127.0.0.1',
    userAgent: 'bench/1.0',
    requestedModel: 'gpt-4o',
    model: 'gpt-4o-2024-08-06',
    modelId: 'deploy-1',
    apiBase: 'http://127.0.0.1:9999/v1',
    apiProvider: 'openai',
    stream: true,
    usage: {
      promptTokens: 100,
      completionTokens: 20 + (i % 7),
      totalTokens: 120 + (i % 7),
      cachedInputTokens: 10,
      reasoningTokens: 5,
    },
    responseCost: 0.001,
    cacheHit: false,
    timings: {
      startTime: T0,
      apiCallStartTime: T0 + 5,
      completionStartTime: T0 + 50 + (i % 100),
      endTime: T0 + 400 + (i % 1000),
      queueTimeSeconds: 0.001,
      overheadMs: 3,
    },
    rateLimits: {
      remainingRequests: 1000 - (i % 1000),
      remainingTokens: 100000,
      deploymentRpmLimit: 5000,
      deploymentTpmLimit: 800000,
      keyRemainingRequests: 10,
      keyRemainingTokens: 1000,
    },
    budgets: {
      team: { spend: 1, maxBudget: 100, resetAt: T0 + 3_600_000 },
      apiKey: { spend: 1, maxBudget: 10, resetAt: T0 + 3_600_000 },
      user: { spend: 1, maxBudget: 5 },
    },
  };
}

/** Records one event; `collect` ends an export interval (OTel: a delta collection; prom-client: its registry's data). */
export interface Variant {
  record(e: RequestEvent): void;
  collect(): Promise<unknown>;
}

export function ours(): Variant {
  const setup = setupMetrics();
  // as the worker pipeline wires it: the recorder's histograms reported through the reader
  const histograms = setup.createHistogramProducer().attach(AggregationTemporality.DELTA);
  const reader = new DeltaReader([histograms]);
  const provider = new MeterProvider({ views: setup.views, readers: [reader] });
  const r = setup.createRecorder(provider, { now: () => T0, histograms });
  return { record: (e) => r.recordSuccess(e), collect: () => reader.collect() };
}

/**
 * The families and values a success writes, as plain (family, value, labels) triples, computed the
 * straightforward way. Used by both baselines so they do the same work as our recorder.
 */
const hashes = new Map<string, string>();
function hash(k: string): string {
  let h = hashes.get(k);
  if (!h) hashes.set(k, (h = createHash('sha256').update(k).digest('hex')));
  return h;
}
type Write = (family: string, value: number, labels: Record<string, string>) => void;
const byName = new Map(LITELLM_FAMILIES.map((f) => [f.name, f]));
function successWrites(e: RequestEvent, write: Write): void {
  const s = (v: unknown) => (v === undefined || v === null ? 'None' : String(v));
  const t: Record<string, string> = {
    end_user: 'None',
    hashed_api_key: hash(e.apiKey!),
    api_key_alias: s(e.apiKeyAlias),
    team: s(e.team),
    team_alias: s(e.teamAlias),
    user: s(e.user),
    user_email: s(e.userEmail),
    requested_model: s(e.requestedModel),
    model_group: s(e.requestedModel),
    model: s(e.model),
    litellm_model_name: s(e.model),
    model_id: s(e.modelId),
    api_base: s(e.apiBase),
    api_provider: s(e.apiProvider),
    route: s(e.route),
    client_ip: s(e.clientIp),
    user_agent: s(e.userAgent),
    status_code: '200',
  };
  const w = (family: string, value: number) => {
    const labels: Record<string, string> = {};
    for (const l of byName.get(family)!.labels) labels[l] = t[l] ?? 'None';
    write(family, value, labels);
  };
  const u = e.usage!;
  const tm = e.timings!;
  w('litellm_proxy_total_requests_metric', 1);
  w('litellm_requests_metric', 1);
  w('litellm_spend_metric', e.responseCost!);
  w('litellm_total_tokens_metric', u.totalTokens!);
  w('litellm_input_tokens_metric', u.promptTokens!);
  w('litellm_output_tokens_metric', u.completionTokens!);
  w('litellm_input_cached_tokens_metric', u.cachedInputTokens!);
  w('litellm_output_reasoning_tokens_metric', u.reasoningTokens!);
  w('litellm_cache_misses_metric', 1);
  w('litellm_request_total_latency_metric', (tm.endTime! - tm.startTime!) / 1000);
  w('litellm_llm_api_latency_metric', (tm.endTime! - tm.apiCallStartTime!) / 1000);
  w('litellm_llm_api_time_to_first_token_metric', (tm.completionStartTime! - tm.apiCallStartTime!) / 1000);
  w('litellm_request_queue_time_seconds', tm.queueTimeSeconds!);
  w('litellm_overhead_latency_metric', tm.overheadMs! / 1000);
  w('litellm_deployment_success_responses', 1);
  w('litellm_deployment_total_requests', 1);
  w('litellm_deployment_state', 0);
  w(
    'litellm_deployment_latency_per_output_token',
    (tm.completionStartTime! - tm.startTime!) / 1000 / u.completionTokens!,
  );
  const rl = e.rateLimits!;
  w('litellm_remaining_requests_metric', rl.remainingRequests!);
  w('litellm_remaining_tokens_metric', rl.remainingTokens!);
  w('litellm_deployment_rpm_limit', rl.deploymentRpmLimit!);
  w('litellm_deployment_tpm_limit', rl.deploymentTpmLimit!);
  t.model = t.requested_model!;
  w('litellm_remaining_api_key_requests_for_model', rl.keyRemainingRequests!);
  w('litellm_remaining_api_key_tokens_for_model', rl.keyRemainingTokens!);
  const b = e.budgets!;
  w('litellm_remaining_team_budget_metric', b.team!.maxBudget! - b.team!.spend!);
  w('litellm_team_max_budget_metric', b.team!.maxBudget!);
  w('litellm_team_budget_remaining_hours_metric', (b.team!.resetAt! - T0) / 3_600_000);
  w('litellm_remaining_api_key_budget_metric', b.apiKey!.maxBudget! - b.apiKey!.spend!);
  w('litellm_api_key_max_budget_metric', b.apiKey!.maxBudget!);
  w('litellm_api_key_budget_remaining_hours_metric', (b.apiKey!.resetAt! - T0) / 3_600_000);
  w('litellm_remaining_user_budget_metric', b.user!.maxBudget! - b.user!.spend!);
  w('litellm_user_max_budget_metric', b.user!.maxBudget!);
}

export function bareOtel(): Variant {
  const reader = new DeltaReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('bench');
  const inst = new Map<string, (v: number, a: Attributes) => void>();
  for (const f of LITELLM_FAMILIES) {
    const opts = {
      description: f.help,
      advice: f.buckets ? { explicitBucketBoundaries: [...f.buckets] } : undefined,
    };
    if (f.instrument === 'counter') {
      const c = meter.createCounter(f.instrumentName, opts);
      inst.set(f.name, (v, a) => c.add(v, a));
    } else if (f.instrument === 'histogram') {
      const h = meter.createHistogram(f.instrumentName, opts);
      inst.set(f.name, (v, a) => h.record(v, a));
    } else if (f.instrument === 'gauge') {
      const g = meter.createGauge(f.instrumentName, opts);
      inst.set(f.name, (v, a) => g.record(v, a));
    } else {
      const u = meter.createUpDownCounter(f.instrumentName, opts);
      inst.set(f.name, (v, a) => u.add(v, a));
    }
  }
  return {
    record: (e) => successWrites(e, (family, value, labels) => inst.get(family)!(value, labels)),
    collect: () => reader.collect(),
  };
}

export function promClient(): Variant {
  const registry = new client.Registry();
  const inst = new Map<string, (v: number, l: Record<string, string>) => void>();
  for (const f of LITELLM_FAMILIES) {
    const cfg = {
      name: f.type === 'counter' ? f.name : f.instrumentName,
      help: f.help,
      labelNames: [...f.labels],
      registers: [registry],
    };
    if (f.type === 'counter') {
      const c = new client.Counter(cfg);
      inst.set(f.name, (v, l) => c.inc(l, v));
    } else if (f.type === 'histogram') {
      const h = new client.Histogram({ ...cfg, buckets: [...f.buckets!] });
      inst.set(f.name, (v, l) => h.observe(l, v));
    } else {
      const g = new client.Gauge(cfg);
      inst.set(f.name, (v, l) => g.set(l, v));
    }
  }
  return {
    record: (e) => successWrites(e, (family, value, labels) => inst.get(family)!(value, labels)),
    collect: () => registry.getMetricsAsJSON(),
  };
}

export const VARIANTS = { ours, 'bare-otel-sdk': bareOtel, 'prom-client': promClient } as const;

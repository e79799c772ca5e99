// The benchmark workload: LiteLLM-shaped counter series (8 labels, like
// litellm_proxy_total_requests_metric_total), and OTLP bodies for them produced by the REAL SDK and
// the real OTLP serializers (@opentelemetry/otlp-transformer, what the exporters send).

import {
  MeterProvider,
  MetricReader,
  AggregationTemporality,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';

export const METRIC = 'litellm_proxy_total_requests_metric_total';
export const HELP =
  'Total number of requests made to the proxy server - track number of client side requests';
export const LABELS = [
  'end_user',
  'hashed_api_key',
  'api_key_alias',
  'requested_model',
  'team',
  'team_alias',
  'user',
  'status_code',
] as const;

const HEX = 'abcdef0123456789'.repeat(4);

/** The label values of series number i (distinct for every i). */
export function seriesLabels(i: number): Record<(typeof LABELS)[number], string> {
  return {
    end_user: `user-${i}`,
    hashed_api_key: HEX.slice(i % 16) + HEX.slice(0, i % 16),
    api_key_alias: `key-${i % 100}`,
    requested_model: ['gpt-4o', 'claude-3-5-sonnet', 'gemini-1.5-pro'][i % 3] as string,
    team: `team-${i % 20}`,
    team_alias: 'None',
    user: `internal-${i % 50}`,
    status_code: i % 10 === 0 ? '429' : '200',
  };
}

class CollectOnlyReader extends MetricReader {
  constructor() {
    super({
      aggregationTemporalitySelector: () => AggregationTemporality.DELTA,
      cardinalitySelector: () => Infinity,
    });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One worker's delta export of series [from, to): ResourceMetrics from a real MeterProvider. */
export async function collectWorker(instanceId: string, from: number, to: number): Promise<ResourceMetrics> {
  const reader = new CollectOnlyReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'litellm', 'service.instance.id': instanceId }),
    readers: [reader],
  });
  const counter = provider
    .getMeter('litellm-otel-metrics', '0.1.0')
    .createCounter(METRIC, { description: HELP });
  for (let i = from; i < to; i++) counter.add(1 + (i % 7), seriesLabels(i));
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

export function jsonBody(rm: ResourceMetrics): Buffer {
  return Buffer.from(JsonMetricsSerializer.serializeRequest(rm) as Uint8Array);
}

export function protobufBody(rm: ResourceMetrics): Buffer {
  return Buffer.from(ProtobufMetricsSerializer.serializeRequest(rm) as Uint8Array);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * A worker process for the 4-workers test: the real SDK + OTLP exporter at a short interval,
 * recording a known number of events, then shutting down (final flush) and printing its totals.
 *
 * env: OTLP_URL, INSTANCE_ID, WORKER_INDEX, FROM, TO (event index range), INTERVAL_MS,
 * PROTOCOL (json|protobuf), TEMPORALITY (delta|cumulative)
 */
import { createSdkPipeline } from './sdk.js';
import { workerEvent, LATENCY_BOUNDS } from './events.js';

const url = process.env.OTLP_URL as string;
const index = Number(process.env.WORKER_INDEX ?? '0');
const from = Number(process.env.FROM ?? '0');
const to = Number(process.env.TO ?? '1000');
const intervalMs = Number(process.env.INTERVAL_MS ?? '300');
const protocol = process.env.PROTOCOL === 'protobuf' ? 'protobuf' : 'json';

const pipeline = createSdkPipeline({
  url,
  instanceId: process.env.INSTANCE_ID as string,
  protocol,
  intervalMs,
});
const meter = pipeline.provider.getMeter('litellm-otel', '0.1.0');
const requests = meter.createCounter('litellm_proxy_total_requests_metric_total', {
  description: 'Total number of requests made to the proxy server',
});
const latency = meter.createHistogram('litellm_request_total_latency_metric', {
  description: 'Total latency (seconds) for a request to LiteLLM',
  advice: { explicitBucketBoundaries: LATENCY_BOUNDS },
});
const inFlight = meter.createUpDownCounter('litellm_in_flight_requests', { description: 'in flight' });
const tokens = meter.createCounter('gen_ai.client.token.usage.total', {
  unit: '{token}',
  description: 'tokens',
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  // Spread the events over a few export intervals so exports and scrapes interleave.
  const batch = Math.max(1, Math.ceil((to - from) / 40));
  for (let i = from; i < to; i++) {
    const e = workerEvent(index, i);
    inFlight.add(1, { model: e.model });
    requests.add(1, { model: e.model, status_code: e.status });
    latency.record(e.latency, { model: e.model });
    tokens.add(e.tokens, { 'gen_ai.request.model': e.model });
    inFlight.add(-1, { model: e.model });
    if (i % batch === batch - 1) await sleep(25);
  }
  await pipeline.shutdown();
  process.stdout.write(JSON.stringify({ done: true, index, from, to }) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err) + '\n');
  process.exit(1);
});

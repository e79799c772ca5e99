/**
 * Four real workers (real SDK + OTLP exporter, unaligned intervals of a few hundred ms, unique
 * service.instance.id, JSON and protobuf) export to the aggregator under load while /metrics is
 * scraped 200 times: no counter or bucket ever decreases, and after the workers stop and flush the
 * exposition equals the recorded totals exactly. Worker 0 is restarted halfway (a new process with a
 * new service.instance.id does the second half of its events); worker 3 exports CUMULATIVE (the
 * per-writer delta conversion under load); the others DELTA.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/aggregate/index.js';
import { parseExposition, sampleKey, scrape } from './support/parse-prom.js';
import { expectedTotals, LATENCY_BOUNDS, MODELS } from './support/events.js';

const WORKERS = 4;
const EVENTS = 2500;
const SCRAPES = 200;
const workerScript = fileURLToPath(new URL('./support/worker.ts', import.meta.url));

let aggregator: Aggregator;
const children: ChildProcess[] = [];

beforeAll(async () => {
  aggregator = await startAggregator({ otlpPort: 0, metricsPort: 0 });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await aggregator?.close();
});

function runProcess(
  index: number,
  from: number,
  to: number,
  temporality: 'delta' | 'cumulative',
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env: {
        ...process.env,
        OTLP_URL: aggregator.otlpUrl,
        INSTANCE_ID: `test-host-${process.pid}-w${index}-${Math.random().toString(36).slice(2)}`,
        WORKER_INDEX: String(index),
        FROM: String(from),
        TO: String(to),
        // Unaligned intervals: 210, 290, 370, 450 ms.
        INTERVAL_MS: String(210 + index * 80),
        PROTOCOL: index % 2 === 0 ? 'json' : 'protobuf',
        TEMPORALITY: temporality,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 && out.includes('"done":true')) resolve();
      else reject(new Error(`worker ${index} [${from}, ${to}) exited ${code}: ${err || out}`));
    });
  });
}

async function runWorker(index: number): Promise<void> {
  if (index === 0) {
    // Restarted halfway: a second process, with a new service.instance.id, does the rest.
    await runProcess(0, 0, EVENTS / 2, 'delta');
    await runProcess(0, EVENTS / 2, EVENTS, 'delta');
    return;
  }
  await runProcess(index, 0, EVENTS, index === 3 ? 'cumulative' : 'delta');
}

describe('4 real workers under load', () => {
  it('never shows a decreasing counter or bucket in 200 scrapes, and ends with the exact totals', async () => {
    const running = Promise.all(Array.from({ length: WORKERS }, (_, i) => runWorker(i)));
    let finished = false;
    let failure: unknown;
    running.then(
      () => (finished = true),
      (e: unknown) => {
        finished = true;
        failure = e;
      },
    );

    const last = new Map<string, number>();
    const observedTotals = new Set<number>();
    let decreases: string[] = [];
    let scrapes = 0;
    const deadline = Date.now() + 50_000;
    while ((scrapes < SCRAPES || !finished) && Date.now() < deadline) {
      const { status, text } = await scrape(aggregator.metricsUrl);
      expect(status).toBe(200);
      const parsed = parseExposition(text);
      let requestsTotal = 0;
      for (const s of parsed.samples) {
        if (s.name === 'litellm_proxy_total_requests_metric_total') requestsTotal += s.value;
        const family = s.name.replace(/_(bucket|sum|count)$/, '');
        // Counters, and every histogram sample (latencies are positive, so _sum only grows too).
        const monotonic = parsed.types.get(s.name) === 'counter' || parsed.types.get(family) === 'histogram';
        if (!monotonic) continue;
        const key = sampleKey(s);
        const before = last.get(key);
        if (before !== undefined && s.value < before) decreases.push(`${key}: ${before} -> ${s.value}`);
        last.set(key, s.value);
      }
      observedTotals.add(requestsTotal);
      scrapes++;
      await new Promise((r) => setTimeout(r, 10));
    }
    await running;
    expect(failure).toBeUndefined();
    expect(scrapes).toBeGreaterThanOrEqual(SCRAPES);
    decreases = decreases.slice(0, 10);
    expect(decreases).toEqual([]);
    // The scrapes really interleaved with the exports: many intermediate totals were seen.
    expect(observedTotals.size).toBeGreaterThan(5);

    // Final values: exactly what the workers recorded.
    const { text } = await scrape(aggregator.metricsUrl);
    const samples = new Map(parseExposition(text).samples.map((s) => [sampleKey(s), s.value]));
    const want = expectedTotals(WORKERS, EVENTS);
    const job = 'litellm-proxy';
    const key = (name: string, labels: Record<string, string>) =>
      sampleKey({ name, labels: { ...labels, job }, value: 0 });
    let total = 0;
    for (const [rk, n] of want.requests) {
      const [model, status_code] = rk.split('|') as [string, string];
      expect(samples.get(key('litellm_proxy_total_requests_metric_total', { model, status_code }))).toBe(n);
      total += n;
    }
    expect(total).toBe(WORKERS * EVENTS);
    for (const model of MODELS) {
      expect(samples.get(key('litellm_request_total_latency_metric_count', { model }))).toBe(
        want.latencyCount.get(model),
      );
      expect(samples.get(key('litellm_request_total_latency_metric_sum', { model }))).toBe(
        want.latencySum.get(model),
      );
      const buckets = want.buckets.get(model) as number[];
      let cumulative = 0;
      LATENCY_BOUNDS.forEach((b, i) => {
        cumulative += buckets[i] as number;
        expect(
          samples.get(key('litellm_request_total_latency_metric_bucket', { model, le: String(b) })),
        ).toBe(cumulative);
      });
      expect(samples.get(key('litellm_request_total_latency_metric_bucket', { model, le: '+Inf' }))).toBe(
        want.latencyCount.get(model),
      );
      expect(samples.get(key('gen_ai_client_token_usage_total', { gen_ai_request_model: model }))).toBe(
        want.tokens.get(model),
      );
      // Up-down counter: +1/-1 per event, summed over workers (delta and cumulative ones).
      expect(samples.get(key('litellm_in_flight_requests', { model }))).toBe(0);
    }
    expect(aggregator.store.stats.droppedPoints.size).toBe(0);
  }, 58_000);
});

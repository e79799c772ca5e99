// startWorkerMetrics in this process against the real test receiver: temporality of every instrument
// kind, wire formats, self-metrics, bounded shutdown. And the environment variables in a real worker.

import { afterEach, describe, expect, it } from 'vitest';
import {
  startWorkerMetrics,
  SELF_METRICS,
  type WorkerMetrics,
  type WorkerMetricsOptions,
} from '../../src/export/index.js';
import { startReceiver, waitFor, type TestReceiver } from './support/receiver.js';
import { killWorker, spawnWorker, type Reply, type WorkerHandle } from './support/spawn.js';
import { COUNTER } from './support/worker.js';

let receiver: TestReceiver | undefined;
let pipelines: WorkerMetrics[] = [];
let worker: WorkerHandle | undefined;

afterEach(async () => {
  await Promise.all(pipelines.map((p) => p.shutdown()));
  pipelines = [];
  await killWorker(worker);
  worker = undefined;
  await receiver?.stop();
  receiver = undefined;
});

function start(options: WorkerMetricsOptions): WorkerMetrics {
  // A long interval: the test drives collection with forceFlush().
  const p = startWorkerMetrics({
    handleSignals: false,
    exportIntervalMillis: 60_000,
    timeoutMillis: 300,
    ...options,
  });
  pipelines.push(p);
  return p;
}

type Wire = {
  resourceMetrics: {
    scopeMetrics: {
      metrics: {
        name: string;
        sum?: { aggregationTemporality: number; isMonotonic?: boolean };
        histogram?: { aggregationTemporality: number };
        gauge?: object;
      }[];
    }[];
  }[];
};

/** metric name -> temporalities seen on the wire ('gauge' for gauges). */
function wireTemporalities(r: TestReceiver): Map<string, Set<number | 'gauge'>> {
  const out = new Map<string, Set<number | 'gauge'>>();
  for (const q of r.requests.filter((x) => x.status === 200)) {
    const body = JSON.parse(q.body.toString('utf8')) as Wire;
    for (const rm of body.resourceMetrics)
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) {
          const t = m.sum?.aggregationTemporality ?? m.histogram?.aggregationTemporality ?? 'gauge';
          const set = out.get(m.name) ?? new Set();
          set.add(t);
          out.set(m.name, set);
        }
  }
  return out;
}

function recordEveryKind(p: WorkerMetrics, step: number): void {
  const m = p.getMeter('kinds');
  m.createCounter('k_counter').add(step);
  m.createUpDownCounter('k_updown').add(step === 1 ? 5 : -2);
  m.createHistogram('k_histogram').record(step);
  m.createGauge('k_gauge').record(step);
}

describe('startWorkerMetrics (in process, real exporter, real receiver)', () => {
  it('exports every instrument kind, UpDownCounters and observables included, as delta by default', async () => {
    receiver = await startReceiver();
    const p = start({ endpoint: receiver.url });
    const m = p.getMeter('kinds');
    let observed = 0;
    m.createObservableCounter('k_obs_counter').addCallback((r) => r.observe((observed += 10)));
    m.createObservableUpDownCounter('k_obs_updown').addCallback((r) => r.observe(observed));
    m.createObservableGauge('k_obs_gauge').addCallback((r) => r.observe(observed));
    recordEveryKind(p, 1);
    await p.forceFlush();
    recordEveryKind(p, 2);
    await p.forceFlush();

    const t = wireTemporalities(receiver);
    for (const name of ['k_counter', 'k_updown', 'k_histogram', 'k_obs_counter', 'k_obs_updown']) {
      expect([name, t.get(name)]).toEqual([name, new Set([1])]);
    }
    expect(t.get('k_gauge')).toEqual(new Set(['gauge']));
    expect(t.get('k_obs_gauge')).toEqual(new Set(['gauge']));
    // Deltas: the up-down counter sent +5 then -2; the observable counter 10 then +10.
    const id = p.serviceInstanceId;
    expect(receiver.total('k_updown', id)).toBe(3);
    expect(receiver.total('k_obs_counter', id)).toBe(20);
    expect(receiver.total('k_counter', id)).toBe(3);
  });

  it("temporality 'cumulative' exports every sum and histogram as cumulative", async () => {
    receiver = await startReceiver();
    const p = start({ endpoint: receiver.url, temporality: 'cumulative' });
    recordEveryKind(p, 1);
    await p.forceFlush();
    recordEveryKind(p, 2);
    await p.forceFlush();
    const t = wireTemporalities(receiver);
    for (const name of ['k_counter', 'k_updown', 'k_histogram'])
      expect([name, t.get(name)]).toEqual([name, new Set([2])]);
    expect(receiver.total('k_counter', p.serviceInstanceId)).toBe(3); // last cumulative value
  });

  it("protocol 'http/protobuf' sends OTLP protobuf with the real proto exporter", async () => {
    receiver = await startReceiver();
    const p = start({ endpoint: receiver.url, protocol: 'http/protobuf' });
    p.getMeter().createCounter('pb_probe_total').add(1);
    await p.forceFlush();
    const q = receiver.requests[0]!;
    expect(q.status).toBe(200);
    expect(q.contentType).toBe('application/x-protobuf');
    expect(q.body.includes(Buffer.from('pb_probe_total'))).toBe(true);
    expect(q.body.includes(Buffer.from(p.serviceInstanceId))).toBe(true);
  });

  it("compression 'gzip' gzips the body and the data arrive intact", async () => {
    receiver = await startReceiver();
    const p = start({ endpoint: receiver.url, compression: 'gzip' });
    p.getMeter().createCounter('gz_total').add(42, { a: 'b' });
    await p.forceFlush();
    expect(receiver.requests[0]!.contentEncoding).toBe('gzip');
    expect(receiver.total('gz_total', p.serviceInstanceId)).toBe(42);
  });

  it('reports its own health on the same pipeline under the documented names', async () => {
    receiver = await startReceiver();
    const p = start({ endpoint: receiver.url, maxQueuedPoints: 3 });
    const c = p.getMeter().createCounter('health_probe_total');
    receiver.behaviour = { kind: 'status', status: 503 };
    for (let i = 0; i < 4; i++) {
      c.add(1, { i: String(i) });
      await p.forceFlush();
    }
    receiver.behaviour = { kind: 'accept' };
    await p.forceFlush(); // delivers what is queued, with the self-metrics of the failed rounds
    await p.forceFlush(); // self-metrics observed after that delivery
    const id = p.serviceInstanceId;
    const requests = receiver.totals(SELF_METRICS.requests, id);
    // At least one failure report survived (with a bound of 3 points, most of those rounds were dropped).
    expect(requests.get('{"reason":"retryable","result":"failure"}')).toBeGreaterThanOrEqual(1);
    expect(p.exportStats().requests.retryable).toBeGreaterThanOrEqual(4);
    expect(requests.get('{"result":"success"}')).toBeGreaterThanOrEqual(1);
    expect(receiver.totals(SELF_METRICS.pointsDropped, id).get('{"reason":"queue_full"}')).toBeGreaterThan(0);
    expect(receiver.total(SELF_METRICS.pointsExported, id)).toBeGreaterThan(0);
    const queuedValues = receiver.requests
      .filter((q) => q.status === 200)
      .flatMap((q) => {
        const body = JSON.parse(q.body.toString('utf8')) as {
          resourceMetrics: {
            scopeMetrics: { metrics: { name: string; gauge?: { dataPoints: { asDouble: number }[] } }[] }[];
          }[];
        };
        return body.resourceMetrics.flatMap((rm) =>
          rm.scopeMetrics.flatMap((sm) =>
            sm.metrics
              .filter((m) => m.name === SELF_METRICS.pointsQueued)
              .flatMap((m) => m.gauge!.dataPoints.map((d) => d.asDouble)),
          ),
        );
      });
    expect(Math.max(...queuedValues)).toBeGreaterThan(0);
    expect(p.exportStats().pointsDropped.queue_full).toBeGreaterThan(0);
  });

  it('shutdown() is bounded by shutdownTimeoutMillis even when the endpoint hangs, and is idempotent', async () => {
    receiver = await startReceiver();
    receiver.behaviour = { kind: 'hang' };
    const p = start({ endpoint: receiver.url, timeoutMillis: 10_000, shutdownTimeoutMillis: 500 });
    p.getMeter().createCounter('slow_total').add(1);
    const t0 = Date.now();
    const first = p.shutdown();
    expect(p.shutdown()).toBe(first);
    await first;
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3_000);
    await p.forceFlush(); // after shutdown: a no-op, no throw
  });
});

describe('environment variables in a real worker process', () => {
  it('honours OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS and OTEL_METRIC_EXPORT_INTERVAL', async () => {
    receiver = await startReceiver();
    const r = receiver;
    worker = await spawnWorker(
      { kinds: 1, options: {} },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: r.url.replace('/v1/metrics', ''),
        OTEL_SERVICE_NAME: 'from-env',
        OTEL_RESOURCE_ATTRIBUTES:
          'service.namespace=team-a,deployment.environment.name=staging,service.instance.id=shared',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-token=abc%20def',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
      },
    );
    const w = worker;
    await w.command({ cmd: 'record', n: 5 }, 'recorded');
    // Two periodic exports with data inside ~2 s can only come from the 200 ms interval (default 10 s).
    expect(await waitFor(() => r.requests.filter((q) => q.status === 200).length >= 3, 8_000)).toBe(true);
    const bye = await w.command<Reply>({ cmd: 'exit' }, 'bye');
    expect(r.total(COUNTER, w.instanceId)).toBe(bye.totals!.counter.k0);
    const res = r.resources.get(w.instanceId)!;
    expect(res['service.name']).toBe('from-env');
    expect(res['service.namespace']).toBe('team-a');
    expect(res['deployment.environment.name']).toBe('staging');
    expect(w.instanceId).not.toBe('shared'); // an env-wide instance id would be shared by every worker
    expect(r.requests[0]!.headers['x-token']).toBe('abc def');
  });
});

// Real worker processes export over real HTTP (the real OTLP exporter and periodic reader) to a local
// OTLP receiver; the received deltas must add up to exactly what each worker recorded, per series.

import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, waitFor, type TestReceiver } from './support/receiver.js';
import { killWorker, spawnWorker, type Reply, type WorkerHandle } from './support/spawn.js';
import { COUNTER, HISTOGRAM, type Totals } from './support/worker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let receiver: TestReceiver | undefined;
let workers: WorkerHandle[] = [];

afterEach(async () => {
  await Promise.all(workers.map((w) => killWorker(w)));
  workers = [];
  await receiver?.stop();
  receiver = undefined;
});

/** Received totals of the test's own instruments equal the worker's recorded totals, per attribute set. */
function expectExact(r: TestReceiver, w: WorkerHandle, totals: Totals): void {
  const counter = Object.fromEntries([...r.totals(COUNTER, w.instanceId)].map(([k, v]) => [k, v]));
  const histogram = Object.fromEntries([...r.totals(HISTOGRAM, w.instanceId)].map(([k, v]) => [k, v]));
  const want = (t: Record<string, number>) =>
    Object.fromEntries(Object.entries(t).map(([k, v]) => [JSON.stringify({ kind: k }), v]));
  expect(counter).toEqual(want(totals.counter));
  expect(histogram).toEqual(want(totals.histogram));
}

async function recordSpread(w: WorkerHandle, steps: number, n: number, gapMs: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    await w.command({ cmd: 'record', n: n + i }, 'recorded');
    await sleep(gapMs);
  }
}

async function exit(w: WorkerHandle): Promise<Reply> {
  const bye = await w.command<Reply>({ cmd: 'exit' }, 'bye', 20_000);
  const ended = await w.exited;
  expect(ended).toEqual({ code: 0, signal: null });
  return bye;
}

describe('worker processes exporting to an OTLP/HTTP receiver', () => {
  it('4 workers with unaligned intervals: received deltas equal recorded totals per series; each has its own stable service.instance.id', async () => {
    receiver = await startReceiver();
    const r = receiver;
    const intervals = [230, 290, 370, 430];
    workers = await Promise.all(
      intervals.map((ms) =>
        spawnWorker({
          kinds: 3,
          options: { endpoint: r.url, exportIntervalMillis: ms, timeoutMillis: 2_000 },
        }),
      ),
    );
    await Promise.all(workers.map((w, i) => recordSpread(w, 6, 20 + i * 7, 200)));
    const byes = await Promise.all(workers.map((w) => exit(w)));

    for (const [i, w] of workers.entries()) {
      const totals = byes[i]!.totals!;
      expect(totals.events).toBeGreaterThan(100);
      expectExact(r, w, totals);
    }
    // Every export of the test instruments was a delta.
    expect(r.temporalities().get(COUNTER)).toEqual(new Set([1]));
    expect(r.temporalities().get(HISTOGRAM)).toEqual(new Set([1]));
    // Identity: four distinct ids, each the only one its process ever sent, with host.name and process.pid.
    const ids = new Set(workers.map((w) => w.instanceId));
    expect(ids.size).toBe(4);
    for (const w of workers) {
      const sent = new Set(r.requests.filter((q) => q.pids.includes(w.pid)).flatMap((q) => q.instanceIds));
      expect(sent).toEqual(new Set([w.instanceId]));
      const res = r.resources.get(w.instanceId)!;
      expect(res['process.pid']).toBe(w.pid);
      expect(res['service.name']).toBe('litellm-proxy');
      expect(typeof res['host.name']).toBe('string');
      expect(r.requests.filter((q) => q.pids.includes(w.pid)).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('receiver down for three intervals, then back: still exact, and the retry queue was used', async () => {
    receiver = await startReceiver();
    const r = receiver;
    const interval = 300;
    const w = await spawnWorker({
      kinds: 2,
      options: { endpoint: r.url, exportIntervalMillis: interval, timeoutMillis: 400 },
    });
    workers = [w];
    await w.command({ cmd: 'record', n: 40 }, 'recorded');
    expect(await waitFor(() => r.total(HISTOGRAM, w.instanceId) === 40, 10_000)).toBe(true);

    await r.stop();
    const downAt = Date.now();
    await recordSpread(w, 5, 30, interval * 0.7); // recorded while the receiver is down
    await sleep(Math.max(0, 3 * interval + 200 - (Date.now() - downAt)));
    const flushedWhileDown = await w.command<Reply>({ cmd: 'flush' }, 'flushed');
    expect(flushedWhileDown.stats!.requests.retryable).toBeGreaterThan(0);
    expect(flushedWhileDown.stats!.pointsQueued).toBeGreaterThan(0);
    await r.start();

    await recordSpread(w, 2, 15, interval);
    const bye = await exit(w);
    expectExact(r, w, bye.totals!);
    expect(bye.stats!.pointsQueued).toBe(0);
    expect(bye.stats!.pointsDropped).toEqual({ queue_full: 0, rejected: 0, ambiguous: 0, shutdown: 0 });
  });

  it('receiver answering 503 for a while: still exact, and the 503s were seen and retried', async () => {
    receiver = await startReceiver();
    const r = receiver;
    const interval = 250;
    const w = await spawnWorker({
      kinds: 3,
      options: { endpoint: r.url, exportIntervalMillis: interval, timeoutMillis: 400 },
    });
    workers = [w];
    await w.command({ cmd: 'record', n: 25 }, 'recorded');
    expect(await waitFor(() => r.total(HISTOGRAM, w.instanceId) === 25, 10_000)).toBe(true);

    r.behaviour = { kind: 'status', status: 503 };
    await recordSpread(w, 5, 20, interval);
    expect(await waitFor(() => r.requests.filter((q) => q.status === 503).length >= 3, 10_000)).toBe(true);
    r.behaviour = { kind: 'accept' };

    await recordSpread(w, 2, 10, interval);
    const bye = await exit(w);
    expectExact(r, w, bye.totals!);
    expect(bye.stats!.requests.retryable).toBeGreaterThanOrEqual(3);
    expect(bye.stats!.pointsDropped).toEqual({ queue_full: 0, rejected: 0, ambiguous: 0, shutdown: 0 });
  });
});

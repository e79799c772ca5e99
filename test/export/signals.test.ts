// Ending a worker: SIGTERM, SIGKILL, a natural exit with an exit code, and an application that owns
// SIGTERM. Real worker processes, real HTTP, real OTLP exporter.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startReceiver, waitFor, type TestReceiver } from './support/receiver.js';
import { killWorker, spawnWorker, type WorkerHandle } from './support/spawn.js';
import { COUNTER, HISTOGRAM, type Totals } from './support/worker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'export-signals-'));

interface State {
  at: number;
  totals: Totals;
  history: [number, number][];
}
const readState = (file: string): State => JSON.parse(readFileSync(file, 'utf8')) as State;

let receiver: TestReceiver | undefined;
let worker: WorkerHandle | undefined;

afterEach(async () => {
  await killWorker(worker);
  worker = undefined;
  await receiver?.stop();
  receiver = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function received(
  r: TestReceiver,
  id: string,
): { counter: Record<string, number>; histogram: Record<string, number> } {
  const strip = (m: Map<string, number>) =>
    Object.fromEntries([...m].map(([k, v]) => [(JSON.parse(k) as { kind: string }).kind, v]));
  return { counter: strip(r.totals(COUNTER, id)), histogram: strip(r.totals(HISTOGRAM, id)) };
}

describe('ending a worker process', () => {
  it('SIGTERM during load: the last interval is flushed (exact totals) and the process still dies of SIGTERM', async () => {
    receiver = await startReceiver();
    const stateFile = join(dir, 'sigterm.json');
    worker = await spawnWorker({
      kinds: 3,
      stateFile,
      options: { endpoint: receiver.url, exportIntervalMillis: 350, timeoutMillis: 1_000 },
    });
    await worker.command({ cmd: 'load', everyMs: 10, batch: 5 }, 'loading');
    await sleep(1_200);
    worker.child.kill('SIGTERM');
    const ended = await worker.exited;
    expect(ended).toEqual({ code: null, signal: 'SIGTERM' });

    const state = readState(stateFile);
    expect(state.totals.events).toBeGreaterThan(100);
    expect(received(receiver, worker.instanceId)).toEqual({
      counter: state.totals.counter,
      histogram: state.totals.histogram,
    });
  });

  it('SIGTERM with failed batches in the retry queue: the queue is sent too (exact)', async () => {
    receiver = await startReceiver();
    const r = receiver;
    const stateFile = join(dir, 'sigterm-queue.json');
    worker = await spawnWorker({
      kinds: 2,
      stateFile,
      options: { endpoint: r.url, exportIntervalMillis: 400, timeoutMillis: 300 },
    });
    const w = worker;
    r.behaviour = { kind: 'status', status: 503 };
    await w.command({ cmd: 'load', everyMs: 20, batch: 4 }, 'loading');
    expect(await waitFor(() => r.requests.filter((q) => q.status === 503).length >= 2, 10_000)).toBe(true);
    r.behaviour = { kind: 'accept' };
    w.child.kill('SIGTERM'); // before the next interval can drain the queue on its own
    expect(await w.exited).toEqual({ code: null, signal: 'SIGTERM' });
    const state = readState(stateFile);
    expect(received(r, w.instanceId)).toEqual({
      counter: state.totals.counter,
      histogram: state.totals.histogram,
    });
    expect(r.requests.filter((q) => q.status === 200).length).toBeGreaterThanOrEqual(2); // queued batches + the last one
  });

  it('SIGTERM with the endpoint down: the process still ends, by SIGTERM, within the shutdown bound', async () => {
    receiver = await startReceiver();
    const url = receiver.url;
    await receiver.stop();
    worker = await spawnWorker({
      kinds: 1,
      options: { endpoint: url, exportIntervalMillis: 300, timeoutMillis: 5_000, shutdownTimeoutMillis: 800 },
    });
    await worker.command({ cmd: 'record', n: 10 }, 'recorded');
    await sleep(400);
    const t0 = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: null, signal: 'SIGTERM' });
    const took = Date.now() - t0;
    console.log(`SIGTERM with the endpoint down: exited after ${took} ms (bound 800 ms)`);
    expect(took).toBeLessThan(800 + 1_500);
  });

  it('SIGKILL during load: the loss is at most what was recorded within one export interval (measured)', async () => {
    receiver = await startReceiver();
    const r = receiver;
    const interval = 400;
    const stateFile = join(dir, 'sigkill.json');
    worker = await spawnWorker({
      kinds: 3,
      stateFile,
      options: { endpoint: r.url, exportIntervalMillis: interval, timeoutMillis: 1_000 },
    });
    const w = worker;
    await w.command({ cmd: 'load', everyMs: 10, batch: 5 }, 'loading');
    // Kill at an arbitrary point between two exports: after the first delivery, about two intervals later.
    expect(await waitFor(() => r.total(HISTOGRAM, w.instanceId) > 0, 10_000)).toBe(true);
    await sleep(interval * 2 + 130);
    w.child.kill('SIGKILL');
    expect(await w.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const state = readState(stateFile);
    // The state file is written just before each recording step, so it may count one step (5 events) that
    // never happened: `recorded` is an upper bound and `loss` below is an upper bound of the true loss.
    const recorded = state.totals.events;
    const got = received(r, w.instanceId);
    const delivered = Object.values(got.histogram).reduce((a, b) => a + b, 0);
    const loss = recorded - delivered;
    const killAt = state.at; // the last recording step before the kill
    const before = (t: number) => state.history.filter(([at]) => at <= t).at(-1)?.[1] ?? 0;
    const lastRequest = r.requests.filter((q) => q.pids.includes(w.pid)).at(-1)!;
    // (a) everything collected before the last export arrived was delivered: the loss is what was recorded
    // after that collection (100 ms margin between the worker's collect and the receipt here);
    const recordedAfterLastExport = recorded - before(lastRequest.at - 100);
    // (b) and that last export was at most one interval before the kill (plus timer lateness on a loaded box).
    const gapMs = killAt - lastRequest.at;
    const slackMs = 250;
    const inLastInterval = recorded - before(killAt - interval);
    console.log(
      `SIGKILL loss: ${loss} of ${recorded} events (${((loss / recorded) * 100).toFixed(1)}%), ` +
        `i.e. ${Math.round((loss / Math.max(1, inLastInterval)) * 100)}% of the ${inLastInterval} events recorded in the last ` +
        `${interval} ms interval; last export received ${gapMs} ms before the kill`,
    );
    expect(delivered).toBeGreaterThan(0);
    expect(loss).toBeGreaterThanOrEqual(0); // nothing counted twice
    expect(loss).toBeLessThanOrEqual(recordedAfterLastExport);
    expect(gapMs).toBeLessThanOrEqual(interval + slackMs);
    // No series was ever over-delivered.
    for (const [k, v] of Object.entries(got.counter)) expect(v).toBeLessThanOrEqual(state.totals.counter[k]!);
  });

  it('natural exit with process.exitCode = 3: the beforeExit hook flushes (exact) and the exit code stays 3', async () => {
    receiver = await startReceiver();
    worker = await spawnWorker({
      kinds: 2,
      options: { endpoint: receiver.url, exportIntervalMillis: 5_000, timeoutMillis: 1_000 },
    });
    await worker.command({ cmd: 'record', n: 77 }, 'recorded');
    const leaving = await worker.command<{ totals: Totals }>({ cmd: 'leave', n: 3 }, 'leaving');
    expect(await worker.exited).toEqual({ code: 3, signal: null });
    // The interval (5 s) never elapsed: only the exit flush can have delivered these.
    expect(received(receiver, worker.instanceId)).toEqual({
      counter: leaving.totals.counter,
      histogram: leaving.totals.histogram,
    });
  });

  it("an application's own SIGTERM handler still runs and decides the exit code; its shutdown() delivers everything", async () => {
    receiver = await startReceiver();
    const stateFile = join(dir, 'app.json');
    worker = await spawnWorker({
      kinds: 2,
      stateFile,
      appSigtermExitCode: 7,
      options: { endpoint: receiver.url, exportIntervalMillis: 300, timeoutMillis: 1_000 },
    });
    await worker.command({ cmd: 'load', everyMs: 10, batch: 3 }, 'loading');
    await sleep(700);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 7, signal: null });
    const state = readState(stateFile);
    expect(received(receiver, worker.instanceId)).toEqual({
      counter: state.totals.counter,
      histogram: state.totals.histogram,
    });
  });
});

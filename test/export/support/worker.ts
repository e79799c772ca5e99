// A worker process for the export tests: starts the real pipeline, records a known number of events on
// a counter (several attribute sets) and a histogram, and tells the parent what it recorded.
// Started with `node --import tsx` and an IPC channel. Config in env WORKER_CONFIG (JSON).
//
// Commands (IPC): {cmd:'record', n} -> {type:'recorded', totals}
//                 {cmd:'load', everyMs, batch} starts recording `batch` events every `everyMs`
//                 {cmd:'stopLoad'} -> {type:'stopped', totals}
//                 {cmd:'flush'} -> {type:'flushed', stats}
//                 {cmd:'leave', n} -> {type:'leaving', totals}; sets process.exitCode = n, closes IPC, no shutdown call
//                 {cmd:'exit'} -> stops load, shuts the pipeline down, {type:'bye', totals, stats}, exits 0
// With `stateFile`, before every recording step the worker writes (synchronously) the totals it is about
// to reach and a short history of (time, events), so a parent can read them after a SIGKILL.

import { renameSync, writeFileSync } from 'node:fs';
import { startWorkerMetrics, type WorkerMetricsOptions } from '../../../src/export/index.js';

export interface WorkerConfig {
  options: WorkerMetricsOptions;
  /** Number of counter attribute sets (kind=k0..). */
  kinds: number;
  stateFile?: string;
  /** Install the application's own SIGTERM handler: stop load, await shutdown(), exit with this code. */
  appSigtermExitCode?: number;
}

export interface Totals {
  /** Counter total per kind. */
  counter: Record<string, number>;
  /** Histogram count per kind. */
  histogram: Record<string, number>;
  events: number;
}

export const COUNTER = 'test_events_total';
export const HISTOGRAM = 'test_latency_seconds';

const config = JSON.parse(process.env.WORKER_CONFIG ?? '{}') as WorkerConfig;
let loadTimer: NodeJS.Timeout | undefined;

const metrics = startWorkerMetrics({
  ...config.options,
  onSignal: () => {
    stopLoad();
  },
});
const meter = metrics.getMeter('test-worker');
const counter = meter.createCounter(COUNTER, { description: 'test events' });
const histogram = meter.createHistogram(HISTOGRAM, {
  description: 'test latency',
  advice: { explicitBucketBoundaries: [0.1, 0.5, 1, 5] },
});
const kinds = Array.from({ length: config.kinds }, (_, i) => ({ kind: `k${i}` }));
const totals: Totals = { counter: {}, histogram: {}, events: 0 };
for (const k of kinds) {
  totals.counter[k.kind] = 0;
  totals.histogram[k.kind] = 0;
}
const history: [number, number][] = [];
let next = 0;

function send(msg: unknown): void {
  process.send?.(msg);
}

function plan(n: number): Totals {
  const t: Totals = {
    counter: { ...totals.counter },
    histogram: { ...totals.histogram },
    events: totals.events + n,
  };
  let i = next;
  for (let j = 0; j < n; j++) {
    const k = kinds[i % kinds.length]!.kind;
    t.counter[k]! += (i % 3) + 1;
    t.histogram[k]! += 1;
    i++;
  }
  return t;
}

function record(n: number): void {
  if (config.stateFile) {
    const after = plan(n);
    const now = Date.now();
    history.push([now, after.events]);
    while (history.length > 0 && history[0]![0] < now - 5_000) history.shift();
    // written whole then renamed (atomic): a SIGKILL mid-write must not leave a truncated file
    writeFileSync(`${config.stateFile}.tmp`, JSON.stringify({ at: now, totals: after, history }));
    renameSync(`${config.stateFile}.tmp`, config.stateFile);
  }
  for (let j = 0; j < n; j++) {
    const attrs = kinds[next % kinds.length]!;
    const inc = (next % 3) + 1;
    counter.add(inc, attrs);
    histogram.record((next % 7) * 0.3, attrs);
    totals.counter[attrs.kind]! += inc;
    totals.histogram[attrs.kind]! += 1;
    totals.events += 1;
    next++;
  }
}

function stopLoad(): void {
  if (loadTimer) clearInterval(loadTimer);
  loadTimer = undefined;
}

if (config.appSigtermExitCode !== undefined) {
  const code = config.appSigtermExitCode;
  process.on('SIGTERM', () => {
    stopLoad();
    void metrics.shutdown().then(() => process.exit(code));
  });
}

process.on('message', (msg: { cmd: string; n?: number; everyMs?: number; batch?: number }) => {
  switch (msg.cmd) {
    case 'record':
      record(msg.n ?? 1);
      send({ type: 'recorded', totals });
      break;
    case 'load': {
      stopLoad();
      const batch = msg.batch ?? 10;
      loadTimer = setInterval(() => record(batch), msg.everyMs ?? 10);
      send({ type: 'loading' });
      break;
    }
    case 'stopLoad':
      stopLoad();
      send({ type: 'stopped', totals });
      break;
    case 'flush':
      void metrics.forceFlush().then(() => send({ type: 'flushed', stats: metrics.exportStats() }));
      break;
    case 'leave':
      // End like an application that sets an exit code and lets the event loop run dry (no shutdown call).
      stopLoad();
      process.exitCode = msg.n ?? 0;
      send({ type: 'leaving', totals });
      process.disconnect?.();
      break;
    case 'exit':
      stopLoad();
      void metrics.shutdown().then(() => {
        send({ type: 'bye', totals, stats: metrics.exportStats() });
        process.disconnect?.();
      });
      break;
  }
});

send({ type: 'ready', instanceId: metrics.serviceInstanceId, pid: process.pid });

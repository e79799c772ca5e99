// One worker of ours: startWorkerMetrics (the real OTel SDK, OTLP/HTTP exporter, delta) exporting
// every INTERVAL_MS to ENDPOINT (the embedded aggregator or the collector), a counter with the
// workload's labels, COUNT paced increments after "go" on stdin, then shutdown() (final export)
// and {"done": true, "count", "exportStats"}.
//
//   node --import tsx bench/correctness/ours-worker.ts ENDPOINT INSTANCE_ID INTERVAL_MS COUNT SERIES BATCH TICK_MS
import { startWorkerMetrics } from '../../src/export/index.js';
import { HELP, METRIC, seriesLabels } from '../aggregate/workload.js';
import { nextStdinLine } from './procs.js';
import { paceFromArgs, pacedWrites } from './pace.js';

const [endpoint, instanceId, interval] = process.argv.slice(2, 5);
const pace = paceFromArgs(process.argv.slice(5, 9));
const wm = startWorkerMetrics({
  endpoint: endpoint!,
  serviceName: 'litellm',
  serviceInstanceId: instanceId!,
  exportIntervalMillis: Number(interval),
  handleSignals: false,
});
const counter = wm.getMeter().createCounter(METRIC, { description: HELP });
const labels = Array.from({ length: pace.series }, (_, k) => seriesLabels(k));
console.log(JSON.stringify({ ready: true }));
await nextStdinLine();
const count = await pacedWrites(pace, (k) => counter.add(1, labels[k]!));
await wm.shutdown();
console.log(JSON.stringify({ done: true, count, exportStats: wm.exportStats() }));
process.exit(0);

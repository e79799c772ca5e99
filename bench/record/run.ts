// Recording cost of one full success event (all default families a success writes): ours, the bare
// OTel SDK with the same instruments, prom-client with the same families and labels. Every INTERVAL
// events the interval ends (OTel: a delta collection; prom-client: getMetricsAsJSON), inside the
// timing. The events rotate over 20 users/keys. Each run is a fresh process; variants are
// interleaved; medians of RUNS runs.
//
//   node --import tsx bench/record/run.ts [runs=7] [events=20000] [interval=1000]
import { fileURLToPath } from 'node:url';
import { machine, median, runChild } from '../lib.js';

const runs = Number(process.argv[2] ?? 7);
const events = process.argv[3] ?? '20000';
const interval = process.argv[4] ?? '1000';
const child = fileURLToPath(new URL('./child.ts', import.meta.url));
const names = ['ours', 'bare-otel-sdk', 'prom-client'] as const;
const samples: Record<string, number[]> = { ours: [], 'bare-otel-sdk': [], 'prom-client': [] };
for (let r = 0; r < runs; r++) {
  for (const v of names)
    samples[v]!.push(runChild<{ nsPerEvent: number }>(child, [v, events, interval]).nsPerEvent);
}
const med = Object.fromEntries(names.map((v) => [v, median(samples[v]!)]));
const result = {
  benchmark: 'record-success-event',
  machine: machine(),
  runs,
  eventsPerRun: Number(events),
  eventsPerInterval: Number(interval),
  medianNsPerEvent: med,
  samplesNsPerEvent: samples,
  ratioOursToPromClient: med.ours! / med['prom-client']!,
  ratioOursToBareOtel: med.ours! / med['bare-otel-sdk']!,
  target: 'ours <= 2x prom-client',
  met: med.ours! <= 2 * med['prom-client']!,
};
console.log(JSON.stringify(result));

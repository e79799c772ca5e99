// One timed run of one variant in a fresh process: warm up, then time N events with a collection
// (the end of an export interval) every INTERVAL events, included in the time. Prints JSON.
import { VARIANTS, successEvent } from './variants.js';

const name = process.argv[2] as keyof typeof VARIANTS;
const n = Number(process.argv[3] ?? 20000);
const interval = Number(process.argv[4] ?? 1000);
const v = VARIANTS[name]();
const events = Array.from({ length: 1000 }, (_, i) => successEvent(i));
for (let i = 0; i < 5000; i++) {
  v.record(events[i % 1000]!);
  if ((i + 1) % interval === 0) await v.collect();
}
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  v.record(events[i % 1000]!);
  if ((i + 1) % interval === 0) await v.collect();
}
const ns = Number(process.hrtime.bigint() - t0) / n;
console.log(JSON.stringify({ variant: name, nsPerEvent: ns }));

// One timed run of one variant in a fresh process: warm up, then time N events. Prints JSON.
import { VARIANTS, successEvent } from './variants.js';

const name = process.argv[2] as keyof typeof VARIANTS;
const n = Number(process.argv[3] ?? 20000);
const record = VARIANTS[name]();
const events = Array.from({ length: 1000 }, (_, i) => successEvent(i));
for (let i = 0; i < 5000; i++) record(events[i % 1000]!);
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) record(events[i % 1000]!);
const ns = Number(process.hrtime.bigint() - t0) / n;
console.log(JSON.stringify({ variant: name, nsPerEvent: ns }));

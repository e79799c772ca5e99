// Pools several runs of bench/proxy/throughput.ts: the median of every simultaneous pair kind over
// all the runs' pairs, next to each run's own medians. For the confirmation of a result over runs.
//   node --import tsx bench/proxy/pool.ts bench/proxy/results-2026-12-02-night.json \
//     bench/proxy/results-2026-12-03-1.json bench/proxy/results-2026-12-03-2.json bench/proxy/results.json
import { readFileSync } from 'node:fs';
import { median } from '../lib.js';

interface Pair {
  a: string;
  b: string;
  round: number;
  rpsA: number;
  rpsB: number;
}
interface Result {
  date: string;
  simultaneous: Pair[];
  simultaneousThroughputChangePercent: number;
  simultaneousVsControlChangePercent: number;
  controlThroughputChangePercent: number;
  throughputChangePercent: number;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: pool.ts results.json [results.json ...]\n');
  process.exit(2);
}
const results = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Result);
const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
for (const [i, r] of results.entries()) {
  process.stdout.write(
    `${files[i]} (${r.date}): on vs off ${pct(r.simultaneousThroughputChangePercent)}, on vs control ${pct(r.simultaneousVsControlChangePercent)}, control vs off ${pct(r.controlThroughputChangePercent)}, alternating ${pct(r.throughputChangePercent)}\n`,
  );
}
const medianOf = (pick: (r: Result) => number) => median(results.map(pick));
process.stdout.write(
  `median of the ${results.length} runs: on vs off ${pct(medianOf((r) => r.simultaneousThroughputChangePercent))}, on vs control ${pct(medianOf((r) => r.simultaneousVsControlChangePercent))}, alternating ${pct(medianOf((r) => r.throughputChangePercent))}\n`,
);
const all = results.flatMap((r) => r.simultaneous);
for (const [a, b] of [
  ['on', 'off'],
  ['on', 'control'],
  ['control', 'off'],
] as const) {
  const ratios = all.filter((p) => p.a === a && p.b === b).map((p) => p.rpsA / p.rpsB);
  const first = all.filter((p) => p.a === a && p.b === b && p.round === 0).map((p) => p.rpsA / p.rpsB);
  const later = all.filter((p) => p.a === a && p.b === b && p.round > 0).map((p) => p.rpsA / p.rpsB);
  process.stdout.write(
    `pooled ${a} vs ${b}: ${pct((median(ratios) - 1) * 100)} over ${ratios.length} pairs (round 0: ${pct((median(first) - 1) * 100)}, later rounds: ${pct((median(later) - 1) * 100)})\n`,
  );
}

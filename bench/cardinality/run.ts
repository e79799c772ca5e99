// Worker memory under end-user churn: 1,000,000 distinct end users through the full metric set with an
// export every 10,000 events; ours (admission limiter, delta) beside no limiter with cumulative
// temporality. Each mode runs in its own process, RUNS times; medians per checkpoint.
//
//   node --import tsx bench/cardinality/run.ts [runs=3] [users=1000000]
import { fileURLToPath } from 'node:url';
import { machine, median, runChild } from '../lib.js';

interface Out {
  mode: string;
  temporality: string;
  baselineRssMiB: number;
  checkpoints: { users: number; rssMiB: number; heapUsedMiB: number; pointsLastExport: number }[];
  seconds: number;
}
const runs = Number(process.argv[2] ?? 3);
const users = process.argv[3] ?? '1000000';
const child = fileURLToPath(new URL('./child.ts', import.meta.url));
const modes = [
  ['limiter', 'delta'],
  ['no-limiter', 'cumulative'],
] as const;
const results: Record<string, Out[]> = {};
for (let r = 0; r < runs; r++) {
  for (const [m, t] of modes)
    (results[`${m}/${t}`] ??= []).push(runChild<Out>(child, [m, t, users], ['--expose-gc']));
}
const summary = Object.fromEntries(
  Object.entries(results).map(([k, outs]) => {
    const byUsers = new Map<number, { rss: number[]; heap: number[]; points: number[] }>();
    for (const o of outs)
      for (const c of o.checkpoints) {
        const e = byUsers.get(c.users) ?? { rss: [], heap: [], points: [] };
        e.rss.push(c.rssMiB);
        e.heap.push(c.heapUsedMiB);
        e.points.push(c.pointsLastExport);
        byUsers.set(c.users, e);
      }
    return [
      k,
      [...byUsers].map(([u, e]) => ({
        users: u,
        medianRssMiB: median(e.rss),
        medianHeapUsedMiB: median(e.heap),
        pointsLastExport: median(e.points),
        runs: e.rss.length,
      })),
    ];
  }),
);
const ours = summary['limiter/delta']!;
const growth = ours.at(-1)!.medianRssMiB - ours[0]!.medianRssMiB;
console.log(
  JSON.stringify({
    benchmark: 'end-user-churn-memory',
    machine: machine(),
    runs,
    users: Number(users),
    summary,
    oursRssGrowthMiB_100k_to_last: growth,
    target: 'flat: RSS growth from 100k to 1M users under 50 MiB',
    met: growth < 50,
    raw: results,
  }),
);

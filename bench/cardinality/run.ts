// Worker memory under end-user churn: 1,000,000 distinct end users through the full metric set with an
// export every 10,000 events; ours (admission limiter, delta) beside no limiter with cumulative
// temporality. Each mode runs in its own process (default V8 heap limit), RUNS times; medians per
// checkpoint. A run that dies (out of memory) reports the checkpoints it reached and how it died.
//
//   node --import tsx bench/cardinality/run.ts [runs=3] [users=1000000] [baselineRuns=1]
import { fileURLToPath } from 'node:url';
import { machine, median, runChildLines } from '../lib.js';

interface Checkpoint {
  users: number;
  rssMiB: number;
  heapUsedMiB: number;
  pointsLastExport: number;
}
interface Out {
  mode: string;
  temporality: string;
  checkpoints: Checkpoint[];
  seconds?: number;
  died?: string;
}

const runs = Number(process.argv[2] ?? 3);
const users = process.argv[3] ?? '1000000';
const baselineRuns = Number(process.argv[4] ?? 1);
const child = fileURLToPath(new URL('./child.ts', import.meta.url));
const modes = [
  ['limiter', 'delta', runs],
  ['no-limiter', 'cumulative', baselineRuns],
] as const;

function runOnce(mode: string, temporality: string): Out {
  const r = runChildLines(child, [mode, temporality, users], ['--expose-gc']);
  const checkpoints: Checkpoint[] = [];
  let seconds: number | undefined;
  for (const l of r.lines as Record<string, unknown>[]) {
    if (l.checkpoint) checkpoints.push(l.checkpoint as Checkpoint);
    if (typeof l.seconds === 'number') seconds = l.seconds;
  }
  const died =
    r.status === 0
      ? undefined
      : r.outOfMemory
        ? 'JavaScript heap out of memory'
        : `exit ${r.status ?? r.signal}: ${r.stderrTail}`;
  return { mode, temporality, checkpoints, seconds, died };
}

const results: Record<string, Out[]> = {};
for (let i = 0; i < runs; i++) {
  for (const [m, t, n] of modes) if (i < n) (results[`${m}/${t}`] ??= []).push(runOnce(m, t));
}

const summary = Object.fromEntries(
  Object.entries(results).map(([k, outs]) => {
    const byUsers = new Map<number, Checkpoint[]>();
    for (const o of outs)
      for (const c of o.checkpoints) byUsers.set(c.users, [...(byUsers.get(c.users) ?? []), c]);
    return [
      k,
      {
        died: outs.map((o) => o.died ?? null),
        seconds: outs.map((o) => o.seconds ?? null),
        checkpoints: [...byUsers].map(([u, cs]) => ({
          users: u,
          medianRssMiB: median(cs.map((c) => c.rssMiB)),
          medianHeapUsedMiB: median(cs.map((c) => c.heapUsedMiB)),
          pointsLastExport: median(cs.map((c) => c.pointsLastExport)),
          runs: cs.length,
        })),
      },
    ];
  }),
);
const ours = summary['limiter/delta']!.checkpoints;
const growth = ours.at(-1)!.medianRssMiB - ours[0]!.medianRssMiB;
console.log(
  JSON.stringify({
    benchmark: 'end-user-churn-memory',
    machine: machine(),
    runs,
    baselineRuns,
    users: Number(users),
    summary,
    oursRssGrowthMiB_100k_to_last: growth,
    target: 'flat: RSS growth from 100k to 1M users under 50 MiB',
    met: growth < 50 && ours.at(-1)!.users === Number(users),
  }),
);

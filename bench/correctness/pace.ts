// The paced writer loop shared by the node writers of the correctness benchmark: COUNT increments
// of 1, round-robin over SERIES label sets (workload.ts seriesLabels 0..SERIES-1), BATCH per tick
// of TICK_MS ms, so that scrapes overlap the writes.

export interface Pace {
  count: number;
  series: number;
  batch: number;
  tickMs: number;
}

export async function pacedWrites(p: Pace, inc: (seriesIndex: number) => void): Promise<number> {
  let done = 0;
  let next = performance.now();
  while (done < p.count) {
    const n = Math.min(p.batch, p.count - done);
    for (let k = 0; k < n; k++) {
      inc(done % p.series);
      done++;
    }
    next += p.tickMs;
    const delay = next - performance.now();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  }
  return done;
}

/** COUNT SERIES BATCH TICK_MS; COUNT and BATCH may be comma lists, one entry per writer (`writer`). */
export function paceFromArgs(args: string[], writer = 0): Pace {
  const pick = (s: string) => {
    const xs = s.split(',').map(Number);
    return xs[writer % xs.length]!;
  };
  return { count: pick(args[0]!), series: Number(args[1]), batch: pick(args[2]!), tickMs: Number(args[3]) };
}

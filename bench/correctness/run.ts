// Correctness of the multi-process alternatives under the same load: WORKERS writer processes
// record WORKERS × COUNT increments in all (of 1, round-robin over SERIES label sets; uneven shares
// 10/20/30/40 % for 4 writers; paced so the writes take about 5 s) while a scraper polls the one /metrics endpoint SCRAPES times; then, once every
// writer is done, the scraper waits (at most SETTLE_MS) for the total to reach the number recorded
// and takes FINAL more scrapes. Per scenario and run: did any series' value ever go down from one
// scrape to the next (a counter reset to Prometheus' rate()), and are the final values exact?
//
//   per-worker        prom-client, one registry per node:cluster worker, every scrape on a new
//                     connection (node:cluster gives it to the next worker): LiteLLM issue #10595
//   aggregator-registry  prom-client AggregatorRegistry.clusterMetrics() in the primary
//   python-multiprocess  prometheus_client multiprocess mode (PROMETHEUS_MULTIPROC_DIR), served by
//                     a separate process with MultiProcessCollector
//   ours-aggregator   our workers (startWorkerMetrics, delta, export every INTERVAL ms) -> the
//                     embedded aggregator
//   ours-collector    the same workers -> the real collector with the shipped config
//
//   node --import tsx bench/correctness/run.ts [--runs 3] [--workers 4] [--count 5000] [--series 4]
//        [--scrapes 100] [--interval-ms 50] [--export-ms 250] [--scenarios a,b,...]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAggregator } from '../../src/aggregate/index.js';
import { startCollector } from '../../test/e2e/harness/collector.js';
import { METRIC } from '../aggregate/workload.js';
import { machine } from '../lib.js';
import { ensureVenvPython, prometheusClientVersion, pythonDir } from '../python/venv.js';
import { samplesOf, sleep, sumOf, timedGet } from './prom-text.js';
import { spawnJson, spawnTs, type JsonChild } from './procs.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1]!;
}
const RUNS = Number(arg('--runs', '3'));
const WORKERS = Number(arg('--workers', '4'));
const COUNT = Number(arg('--count', '5000'));
const SERIES = Number(arg('--series', '4'));
const SCRAPES = Number(arg('--scrapes', '100'));
const INTERVAL_MS = Number(arg('--interval-ms', '50'));
const EXPORT_MS = Number(arg('--export-ms', '250'));
const TICKS = 200;
const TICK_MS = 25;
const SETTLE_MS = 10_000;
const FINAL = 10;
const ALL = ['per-worker', 'aggregator-registry', 'python-multiprocess', 'ours-aggregator', 'ours-collector'];
const SCENARIOS = arg('--scenarios', ALL.join(',')).split(',');
// Uneven load, as a kernel or a balancer spreads requests over workers: writer w gets a share
// proportional to w + 1 (4 writers: 10/20/30/40 %), all writing for the same time (TICKS ticks).
const EXPECTED_TOTAL = WORKERS * COUNT;
const weightSum = (WORKERS * (WORKERS + 1)) / 2;
const COUNTS = Array.from({ length: WORKERS }, (_, w) => Math.round((EXPECTED_TOTAL * (w + 1)) / weightSum));
COUNTS[WORKERS - 1]! += EXPECTED_TOTAL - COUNTS.reduce((a, b) => a + b, 0);
const BATCHES = COUNTS.map((c) => Math.max(1, Math.ceil(c / TICKS)));
const PACE = [COUNTS.join(','), String(SERIES), BATCHES.join(','), String(TICK_MS)];
/** One writer's own pacing arguments (for writers that get them one by one). */
const paceOf = (w: number) => [String(COUNTS[w]), String(SERIES), String(BATCHES[w]), String(TICK_MS)];
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** A started system: its /metrics URL, how to start the writes, how to know they are done, how to stop. */
interface Started {
  url: string;
  go(): void;
  /** Resolves with the increments the writers report (after their own final flush). */
  done(): Promise<number>;
  stop(): Promise<void>;
}

const waitDone = (c: JsonChild) => c.waitFor((l) => l.done === true, 120_000).then((l) => l.count as number);

async function promCluster(mode: 'per-worker' | 'aggregator'): Promise<Started> {
  const child = spawnTs(mode, here('./promclient-cluster.ts'), [mode, String(WORKERS), ...PACE]);
  const { url } = (await child.waitFor((l) => 'url' in l, 60_000)) as { url: string };
  return {
    url,
    go: () => child.send('go'),
    done: () => waitDone(child),
    stop: async () => {
      child.send('stop');
      await child.stop();
    },
  };
}

async function pythonMultiprocess(py: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'issue8-mp-'));
  const env = { ...process.env, PROMETHEUS_MULTIPROC_DIR: dir };
  const writers = Array.from({ length: WORKERS }, (_, w) =>
    spawnJson(`mp-writer-${w}`, py, [join(pythonDir, 'mp_writer.py'), 'paced', ...paceOf(w)], env),
  );
  const server = spawnJson('mp-server', py, [join(pythonDir, 'mp_server.py')], env);
  await Promise.all(writers.map((w) => w.waitFor((l) => l.ready === true, 60_000)));
  const { port } = (await server.waitFor((l) => 'port' in l, 60_000)) as { port: number };
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    go: () => writers.forEach((w) => w.send('go')),
    done: async () => (await Promise.all(writers.map(waitDone))).reduce((a, b) => a + b, 0),
    stop: async () => {
      server.send('stop');
      await Promise.all([...writers, server].map((c) => c.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function oursWorkers(
  endpoint: string,
  metricsUrl: string,
  stopSink: () => Promise<void>,
): Promise<Started> {
  const run = Math.random().toString(16).slice(2, 8);
  const writers = Array.from({ length: WORKERS }, (_, w) =>
    spawnTs(`ours-worker-${w}`, here('./ours-worker.ts'), [
      endpoint,
      `bench-${run}-w${w}`,
      String(EXPORT_MS),
      ...paceOf(w),
    ]),
  );
  await Promise.all(writers.map((w) => w.waitFor((l) => l.ready === true, 60_000)));
  return {
    url: metricsUrl,
    go: () => writers.forEach((w) => w.send('go')),
    done: async () => (await Promise.all(writers.map(waitDone))).reduce((a, b) => a + b, 0),
    stop: async () => {
      await Promise.all(writers.map((c) => c.stop()));
      await stopSink();
    },
  };
}

async function oursAggregator(): Promise<Started> {
  const a = await startAggregator({
    otlpHost: '127.0.0.1',
    otlpPort: 0,
    metricsHost: '127.0.0.1',
    metricsPort: 0,
  });
  return oursWorkers(a.otlpUrl, a.metricsUrl, () => a.close());
}

async function oursCollector(): Promise<Started> {
  const c = await startCollector();
  return oursWorkers(c.otlpMetricsUrl, c.metricsUrl, () => c.stop());
}

interface Outcome {
  scrapes: number;
  failedScrapes: number;
  scrapesWhileWriting: number;
  /** (scrape, series) pairs whose value was below the same series' value in the previous scrape that had it. */
  decreases: number;
  /** Scrapes whose total (sum over series) was below the previous scrape's total. */
  totalDecreases: number;
  /** (scrape, series) pairs where a series seen before was missing. */
  missingAfterSeen: number;
  recorded: number;
  expected: number;
  /** ms from "all writers done" to the first scrape whose total equals what was recorded; null: never within SETTLE_MS. */
  settleMs: number | null;
  finalTotals: number[];
  finalExact: boolean;
  writeSeconds: number;
}

async function runScenario(start: () => Promise<Started>): Promise<Outcome> {
  const s = await start();
  try {
    const last = new Map<string, number>();
    let prevTotal = -1;
    const o: Outcome = {
      scrapes: 0,
      failedScrapes: 0,
      scrapesWhileWriting: 0,
      decreases: 0,
      totalDecreases: 0,
      missingAfterSeen: 0,
      recorded: 0,
      expected: EXPECTED_TOTAL,
      settleMs: null,
      finalTotals: [],
      finalExact: false,
      writeSeconds: 0,
    };
    const scrape = async (): Promise<number | null> => {
      const r = await timedGet(s.url, 30_000).catch(() => null);
      o.scrapes++;
      if (!r || r.status !== 200) {
        o.failedScrapes++;
        return null;
      }
      const samples = samplesOf(r.text, METRIC);
      for (const [k, v] of samples) {
        const before = last.get(k);
        if (before !== undefined && v < before) o.decreases++;
        last.set(k, v);
      }
      for (const k of last.keys()) if (!samples.has(k)) o.missingAfterSeen++;
      const total = sumOf(samples);
      if (total < prevTotal) o.totalDecreases++;
      prevTotal = total;
      return total;
    };
    let writing = true;
    const t0 = performance.now();
    s.go();
    const done = s.done().then((n) => {
      writing = false;
      o.writeSeconds = Math.round(performance.now() - t0) / 1000;
      return n;
    });
    for (let i = 0; i < SCRAPES; i++) {
      if (writing) o.scrapesWhileWriting++;
      await scrape();
      await sleep(INTERVAL_MS);
    }
    o.recorded = await done;
    const tDone = performance.now();
    while (performance.now() - tDone < SETTLE_MS) {
      if ((await scrape()) === o.recorded) {
        o.settleMs = Math.round(performance.now() - tDone);
        break;
      }
      await sleep(250);
    }
    for (let i = 0; i < FINAL; i++) {
      o.finalTotals.push((await scrape()) ?? NaN);
      await sleep(100);
    }
    o.finalExact = o.finalTotals.every((t) => t === o.recorded) && o.recorded === EXPECTED_TOTAL;
    return o;
  } finally {
    await s.stop();
  }
}

const py = SCENARIOS.includes('python-multiprocess') ? ensureVenvPython() : undefined;
const starts: Record<string, () => Promise<Started>> = {
  'per-worker': () => promCluster('per-worker'),
  'aggregator-registry': () => promCluster('aggregator'),
  'python-multiprocess': () => pythonMultiprocess(py!),
  'ours-aggregator': oursAggregator,
  'ours-collector': oursCollector,
};
const outcomes: Record<string, Outcome[]> = {};
for (let r = 0; r < RUNS; r++) {
  for (const name of SCENARIOS) {
    console.error(`run ${r + 1}/${RUNS}: ${name}`);
    const o = await runScenario(starts[name]!);
    console.error(
      `  decreases ${o.decreases}, final ${o.finalTotals.at(-1)} of ${o.recorded} (exact ${o.finalExact}), settle ${o.settleMs} ms`,
    );
    (outcomes[name] ??= []).push(o);
  }
}

const summary = Object.fromEntries(
  Object.entries(outcomes).map(([name, os]) => [
    name,
    {
      decreasedEver: os.some((o) => o.decreases > 0 || o.totalDecreases > 0),
      decreasesPerRun: os.map((o) => o.decreases),
      totalDecreasesPerRun: os.map((o) => o.totalDecreases),
      missingAfterSeenPerRun: os.map((o) => o.missingAfterSeen),
      finalExactEveryRun: os.every((o) => o.finalExact),
      finalTotalsPerRun: os.map((o) => [...new Set(o.finalTotals)]),
      expected: EXPECTED_TOTAL,
      settleMsPerRun: os.map((o) => o.settleMs),
      scrapesWhileWritingPerRun: os.map((o) => o.scrapesWhileWriting),
      failedScrapesPerRun: os.map((o) => o.failedScrapes),
      writeSecondsPerRun: os.map((o) => o.writeSeconds),
    },
  ]),
);
const oursOk = ['ours-aggregator', 'ours-collector']
  .filter((n) => summary[n])
  .every((n) => !summary[n]!.decreasedEver && summary[n]!.finalExactEveryRun);
const line = JSON.stringify({
  benchmark: 'issue8-correctness',
  machine: machine(),
  ...(py ? { prometheus_client: prometheusClientVersion(py) } : {}),
  load: {
    writers: WORKERS,
    incrementsPerWriter: COUNTS,
    expectedTotal: EXPECTED_TOTAL,
    labelSets: SERIES,
    pacing: `writer w: ${BATCHES.join('/')} increments every ${TICK_MS} ms (${TICKS} ticks)`,
    scrapes: SCRAPES,
    scrapeIntervalMs: INTERVAL_MS,
    oursExportIntervalMs: EXPORT_MS,
    settleMs: SETTLE_MS,
    finalScrapes: FINAL,
  },
  runs: RUNS,
  summary,
  target: 'ours: no counter ever decreases, final totals exact, in every run',
  met: oursOk,
});
writeFileSync(here('../results/issue8-correctness.json'), `${line}\n`);
console.log(line);
process.exit(0);

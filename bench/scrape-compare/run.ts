// Aggregated scrape latency, side by side in one run: WORKERS writers × N LiteLLM-shaped counter
// series each (bench/aggregate/workload.ts), merged and exposed by
//   ours         the embedded aggregator (its own process, shipped defaults), fed the writers' OTLP
//   collector    the real collector (built binary, shipped otel-collector.yaml), fed the same OTLP
//   prom-client  AggregatorRegistry.clusterMetrics() over WORKERS node:cluster workers
//   python       prometheus_client multiprocess mode: WORKERS writer processes, then a separate
//                process serving MultiProcessCollector with start_http_server
// The OTLP bodies are the real SDK's delta exports (one per writer, distinct service.instance.id,
// OTLP/JSON as the workers send by default). Every server is scraped from here over HTTP, a new
// connection per GET, without compression; time from the request to the last byte; 1 warm-up
// scrape (checked: every series present with the right values), then the median of RUNS.
//
//   node --import tsx bench/scrape-compare/run.ts [--sizes 2500,25000] [--workers 4] [--runs 7]
//        [--repeats 3] [--systems ours,collector,prom-client,python] [--shared]
//
// --repeats R: set every system up R times (interleaved); each figure is then the median of the R
// medians (runsMs holds every timed scrape).
//
// --shared: every writer holds the same N series (LiteLLM's case: every worker sees every label
// set), exposed N; default: disjoint, exposed WORKERS × N.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCollector } from '../../test/e2e/harness/collector.js';
import { collectWorker, jsonBody, METRIC } from '../aggregate/workload.js';
import { machine, median } from '../lib.js';
import { samplesOf, sleep, sumOf, timedGet } from '../correctness/prom-text.js';
import { spawnJson, spawnTs, type JsonChild } from '../correctness/procs.js';
import { ensureVenvPython, prometheusClientVersion, pythonDir } from '../python/venv.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1]!;
}
const SIZES = arg('--sizes', '2500,25000').split(',').map(Number);
const WORKERS = Number(arg('--workers', '4'));
const RUNS = Number(arg('--runs', '7'));
const REPEATS = Number(arg('--repeats', '3'));
const SYSTEMS = arg('--systems', 'ours,collector,prom-client,python').split(',');
const SHARED = process.argv.includes('--shared');
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Measured {
  medianMs: number;
  runsMs: number[];
  bytes: number;
  series: number;
  sum: number;
  correct: boolean;
  failedScrapes: number;
  setupMs: number;
  note?: string;
}

function range(w: number, per: number): [number, number] {
  return SHARED ? [0, per] : [w * per, (w + 1) * per];
}

function expected(per: number): { series: number; sum: number } {
  let sum = 0;
  for (let w = 0; w < WORKERS; w++) {
    const [from, to] = range(w, per);
    for (let i = from; i < to; i++) sum += 1 + (i % 7);
  }
  return { series: SHARED ? per : per * WORKERS, sum };
}

async function measure(url: string, per: number, setupMs: number): Promise<Measured> {
  const want = expected(per);
  let failedScrapes = 0;
  const get = async () => {
    for (let attempt = 0; ; attempt++) {
      const r = await timedGet(url);
      if (r.status === 200) return r;
      failedScrapes++;
      if (attempt >= 3) throw new Error(`GET ${url}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    }
  };
  const warm = await get();
  const samples = samplesOf(warm.text, METRIC);
  const sum = sumOf(samples);
  const runsMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await get();
    runsMs.push(Math.round(r.ms * 10) / 10);
    bytes = Buffer.byteLength(r.text);
  }
  return {
    medianMs: median(runsMs),
    runsMs,
    bytes,
    series: samples.size,
    sum,
    correct: samples.size === want.series && Math.abs(sum - want.sum) < 1e-6 * want.sum,
    failedScrapes,
    setupMs: Math.round(setupMs),
  };
}

async function post(url: string, bodies: Buffer[]): Promise<void> {
  for (const body of bodies) {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST ${url}: ${res.status} ${text.slice(0, 300)}`);
  }
}

async function ours(bodies: Buffer[], per: number): Promise<Measured> {
  const child = spawnTs('aggregator', here('./aggregator-server.ts'), []);
  try {
    const { otlpUrl, metricsUrl } = (await child.waitFor((l) => 'metricsUrl' in l, 60_000)) as {
      otlpUrl: string;
      metricsUrl: string;
    };
    const t0 = performance.now();
    await post(otlpUrl, bodies);
    return await measure(metricsUrl, per, performance.now() - t0);
  } finally {
    child.send('stop');
    await child.stop();
  }
}

async function collector(bodies: Buffer[], per: number): Promise<Measured> {
  const c = await startCollector();
  try {
    const t0 = performance.now();
    await post(c.otlpMetricsUrl, bodies);
    // The receiver answers before the pipeline has run (batch); wait until every series is exposed.
    const want = expected(per);
    const deadline = Date.now() + 180_000;
    for (;;) {
      const r = await timedGet(c.metricsUrl);
      const s = samplesOf(r.text, METRIC);
      if (s.size === want.series && Math.abs(sumOf(s) - want.sum) < 1e-6 * want.sum) break;
      if (Date.now() > deadline)
        throw new Error(`collector exposes ${s.size} of ${want.series} series after 180 s`);
      await sleep(500);
    }
    return await measure(c.metricsUrl, per, performance.now() - t0);
  } finally {
    await c.stop();
  }
}

async function promClient(per: number): Promise<Measured> {
  const t0 = performance.now();
  const child = spawnTs('prom-client', here('./promclient-server.ts'), [
    String(per),
    String(WORKERS),
    ...(SHARED ? ['--shared'] : []),
  ]);
  try {
    const { url, statsUrl } = (await child.waitFor((l) => 'url' in l, 300_000)) as {
      url: string;
      statsUrl: string;
    };
    const m = await measure(url, per, performance.now() - t0);
    const stats = JSON.parse((await timedGet(statsUrl)).text) as { timeouts: number };
    if (stats.timeouts > 0) {
      m.note = `${stats.timeouts} scrape(s) failed at prom-client's fixed 5 s timeout (HTTP 500); later scrapes ran with that timer lengthened`;
    }
    return m;
  } finally {
    child.send('stop');
    await child.stop();
  }
}

async function python(py: string, per: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'issue8-mp-'));
  const env = { ...process.env, PROMETHEUS_MULTIPROC_DIR: dir };
  const children: JsonChild[] = [];
  try {
    const t0 = performance.now();
    for (let w = 0; w < WORKERS; w++) {
      const [from, to] = range(w, per);
      children.push(
        spawnJson(
          `mp-writer-${w}`,
          py,
          [join(pythonDir, 'mp_writer.py'), 'bulk', String(from), String(to)],
          env,
        ),
      );
    }
    await Promise.all(children.map((c) => c.waitFor((l) => l.done === true, 600_000)));
    const server = spawnJson('mp-server', py, [join(pythonDir, 'mp_server.py')], env);
    children.push(server);
    const { port } = (await server.waitFor((l) => 'port' in l, 60_000)) as { port: number };
    return await measure(`http://127.0.0.1:${port}/metrics`, per, performance.now() - t0);
  } finally {
    for (const c of children) c.send('stop');
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

const py = SYSTEMS.includes('python') ? ensureVenvPython() : undefined;
const results = [];
for (const per of SIZES) {
  const bodies: Buffer[] = [];
  if (SYSTEMS.includes('ours') || SYSTEMS.includes('collector')) {
    for (let w = 0; w < WORKERS; w++) {
      const [from, to] = range(w, per);
      bodies.push(jsonBody(await collectWorker(`bench-w${w}`, from, to)));
    }
  }
  // Each repeat sets every system up anew; a system's figure is the median of its repeats' medians.
  const repeats: Record<string, Measured[]> = {};
  const run = async (name: string, f: () => Promise<Measured>) => {
    if (!SYSTEMS.includes(name)) return;
    console.error(`${per} per writer: ${name}`);
    const m = await f();
    (repeats[name] ??= []).push(m);
    console.error(`  median ${m.medianMs} ms, correct ${m.correct}`);
  };
  for (let r = 0; r < REPEATS; r++) {
    await run('ours', () => ours(bodies, per));
    await run('collector', () => collector(bodies, per));
    await run('prom-client', () => promClient(per));
    await run('python', () => python(py!, per));
  }
  const systems = Object.fromEntries(
    Object.entries(repeats).map(([name, ms]) => [
      name,
      {
        ...ms[ms.length - 1]!,
        medianMs: median(ms.map((m) => m.medianMs)),
        repeatMediansMs: ms.map((m) => m.medianMs),
        runsMs: ms.flatMap((m) => m.runsMs),
        correct: ms.every((m) => m.correct),
        failedScrapes: ms.reduce((a, m) => a + m.failedScrapes, 0),
        note: ms.map((m) => m.note).find((n) => n !== undefined),
      },
    ]),
  );
  const base = systems.ours?.medianMs;
  const ratios = Object.fromEntries(
    Object.entries(systems)
      .filter(([k]) => k !== 'ours')
      .map(([k, m]) => [k, base ? Math.round((m.medianMs / base) * 100) / 100 : null]),
  );
  results.push({
    seriesPerWriter: per,
    exposedSeries: expected(per).series,
    expectedSum: expected(per).sum,
    otlpBytes: bodies.reduce((s, b) => s + b.length, 0),
    systems,
    timesSlowerThanOurs: ratios,
  });
}

const collectorVersion = readFileSync(here('../../deploy/collector/VERSION'), 'utf8').trim();
const promClientVersion = (
  JSON.parse(readFileSync(here('../../node_modules/prom-client/package.json'), 'utf8')) as { version: string }
).version;
const allFaster = results.every((r) =>
  Object.values(r.timesSlowerThanOurs).every((x) => x !== null && x >= 2),
);
const line = JSON.stringify({
  benchmark: 'issue8-scrape-compare',
  machine: machine(),
  versions: {
    collector: `otelcol-litellm ${collectorVersion} (scripts/build-collector.sh, shipped otel-collector.yaml)`,
    'prom-client': promClientVersion,
    ...(py ? { prometheus_client: prometheusClientVersion(py) } : {}),
  },
  layout: SHARED ? `${WORKERS} writers × the same N series` : `${WORKERS} writers × N distinct series`,
  writers: WORKERS,
  runs: RUNS,
  repeats: REPEATS,
  results,
  allCorrect: results.every((r) => Object.values(r.systems).every((m) => m.correct)),
  target: 'ours at most half the scrape time of every alternative (each at least 2× slower)',
  met: allFaster,
});
writeFileSync(here(`../results/issue8-scrape${SHARED ? '-shared' : ''}.json`), `${line}\n`);
console.log(line);
process.exit(0);

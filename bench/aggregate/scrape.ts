// Scrape time of 100k series: the embedded aggregator's GET /metrics vs prom-client's
// AggregatorRegistry (the primary's clusterMetrics() over 4 real node:cluster workers).
//
//   node --import tsx bench/aggregate/scrape.ts [--series 100000] [--workers 4] [--runs 7] [--shared]
//
// Default (disjoint): each of the 4 writers holds 25k distinct series (4 × 25k = 100k exposed).
// --shared: each writer holds the same 100k series (LiteLLM's case: every worker sees every label set),
// so prom-client merges 400k input series per scrape while the aggregator merged them at ingest.
// Both servers run in this process (the cluster primary) and are scraped over HTTP from here;
// the time is from the request to the last byte. Prints one JSON line per system and a summary.

import cluster from 'node:cluster';
import { createServer, get } from 'node:http';
import { cpus, totalmem } from 'node:os';
import client from 'prom-client';
import { startAggregator } from '../../src/aggregate/index.js';
import { collectWorker, HELP, jsonBody, LABELS, median, METRIC, seriesLabels } from './workload.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
}
const SERIES = arg('--series', 100_000);
const WORKERS = arg('--workers', 4);
const RUNS = arg('--runs', 7);
const SHARED = process.argv.includes('--shared');

function range(w: number): [number, number] {
  if (SHARED) return [0, SERIES];
  const per = Math.ceil(SERIES / WORKERS);
  return [w * per, Math.min(SERIES, (w + 1) * per)];
}

function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    get(url, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve({ ms: performance.now() - t0, bytes })
          : reject(new Error(`HTTP ${res.statusCode} from ${url}`)),
      );
    }).on('error', reject);
  });
}

async function measure(url: string): Promise<{ medianMs: number; runsMs: number[]; bytes: number }> {
  await timedGet(url); // warm-up
  const runsMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await timedGet(url);
    runsMs.push(Math.round(r.ms * 10) / 10);
    bytes = r.bytes;
  }
  return { medianMs: median(runsMs), runsMs, bytes };
}

async function ours(): Promise<{ medianMs: number; runsMs: number[]; bytes: number }> {
  const a = await startAggregator({
    otlpPort: 0,
    metricsPort: 0,
    selfMetrics: false,
    compressResponse: false,
    // With --shared one writer's delta body holds all 100k points (~60 MB of OTLP/JSON).
    maxBodyBytes: 256 * 1024 * 1024,
  });
  // Build every body first (the real SDK + serializer), then send them.
  const bodies: Buffer[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const [from, to] = range(w);
    bodies.push(jsonBody(await collectWorker(`bench-w${w}`, from, to)));
  }
  for (const body of bodies) {
    const res = await fetch(a.otlpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
  }
  if (a.store.size !== SERIES) throw new Error(`expected ${SERIES} series, have ${a.store.size}`);
  const r = await measure(a.metricsUrl);
  await a.close();
  return r;
}

interface Measured {
  medianMs: number;
  runsMs: number[];
  bytes: number;
  note?: string;
}

async function promClient(): Promise<Measured> {
  const registry = new client.AggregatorRegistry();
  const ready = new Set<number>();
  for (let w = 0; w < WORKERS; w++) {
    const worker = cluster.fork({ BENCH_WORKER: String(w) });
    worker.on('message', (m: { ready?: number }) => {
      if (m.ready !== undefined) ready.add(m.ready);
    });
  }
  while (ready.size < WORKERS) await new Promise((r) => setTimeout(r, 50));
  let timeouts = 0;
  const server = createServer((_req, res) => {
    clusterMetrics(registry).then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(text);
      },
      (err: Error) => {
        timeouts++;
        console.error('prom-client clusterMetrics failed:', err.message);
        res.writeHead(500);
        res.end(err.message);
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
  let r: Measured;
  try {
    r = await measure(url);
  } catch {
    // prom-client gives up after a fixed 5 s (lib/cluster.js). Measure the same path with that
    // one timer lengthened, and say so in the result.
    liftTimeout = true;
    r = {
      ...(await measure(url)),
      note: `fails after prom-client's fixed 5 s timeout (${timeouts} of the first runs); times measured with that timer lengthened to 10 min`,
    };
  }
  server.close();
  for (const w of Object.values(cluster.workers ?? {})) w?.kill();
  return r;
}

let liftTimeout = false;

/** `registry.clusterMetrics()`, optionally with prom-client's 5 s timer lengthened. */
function clusterMetrics(registry: client.AggregatorRegistry<client.RegistryContentType>): Promise<string> {
  if (!liftTimeout) return registry.clusterMetrics();
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) =>
    original(fn, ms === 5000 ? 600_000 : ms)) as typeof setTimeout;
  try {
    return registry.clusterMetrics();
  } finally {
    globalThis.setTimeout = original;
  }
}

function workerMain(): void {
  const w = Number(process.env.BENCH_WORKER);
  // As in prom-client's cluster example: constructing it in the worker installs the listener
  // that answers the primary's requests.
  new client.AggregatorRegistry();
  const counter = new client.Counter({ name: METRIC, help: HELP, labelNames: [...LABELS] });
  const [from, to] = range(w);
  for (let i = from; i < to; i++) counter.inc(seriesLabels(i), 1 + (i % 7));
  process.send?.({ ready: w });
}

if (cluster.isPrimary) {
  const c = cpus();
  const machine = `${c.length} × ${c[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const layout = SHARED
    ? `${WORKERS} writers × the same ${SERIES} series`
    : `${WORKERS} writers × ${SERIES / WORKERS} series`;
  const a = await ours();
  console.log(JSON.stringify({ system: 'litellm-otel aggregator', series: SERIES, layout, ...a }));
  const p = await promClient();
  console.log(JSON.stringify({ system: 'prom-client AggregatorRegistry', series: SERIES, layout, ...p }));
  console.log(
    JSON.stringify({
      summary: true,
      machine,
      layout,
      oursMedianMs: a.medianMs,
      promClientMedianMs: p.medianMs,
      ratio: Math.round((a.medianMs / p.medianMs) * 1000) / 1000,
    }),
  );
  process.exit(0);
} else {
  workerMain();
}

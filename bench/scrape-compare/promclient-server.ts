// prom-client's AggregatorRegistry over WORKERS real node:cluster workers, as its cluster example
// wires it: every worker holds its series in a Counter (workload.ts series, value 1 + i % 7), the
// primary answers GET /metrics with clusterMetrics() (each worker serializes over IPC, the primary
// sums and renders). Prints {"url"} when every worker is filled; a line on stdin stops all.
//
//   node --import tsx bench/scrape-compare/promclient-server.ts SERIES_PER_WORKER [WORKERS=4] [--shared]
//
// prom-client gives up on a scrape after a fixed 5 s (lib/cluster.js). When that happens the
// primary answers 500, counts it, and from then on lengthens that one timer to 10 min so the
// path can still be timed (as bench/aggregate/scrape.ts does); GET /stats says how many failed.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import client from 'prom-client';
import { HELP, LABELS, METRIC, seriesLabels } from '../aggregate/workload.js';
import { nextStdinLine } from '../correctness/procs.js';

const PER = Number(process.argv[2] ?? 2500);
const WORKERS = Number(process.argv[3] ?? 4);
const SHARED = process.argv.includes('--shared');

function range(w: number): [number, number] {
  return SHARED ? [0, PER] : [w * PER, (w + 1) * PER];
}

let liftTimeout = false;
let timeouts = 0;

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

if (cluster.isPrimary) {
  const registry = new client.AggregatorRegistry();
  const ready = new Set<number>();
  for (let w = 0; w < WORKERS; w++) {
    const worker = cluster.fork({ BENCH_WORKER: String(w) });
    worker.on('message', (m: { ready?: number }) => {
      if (m.ready !== undefined) ready.add(m.ready);
    });
  }
  while (ready.size < WORKERS) await new Promise((r) => setTimeout(r, 50));
  const server = createServer((req, res) => {
    if (req.url === '/stats') {
      res.end(JSON.stringify({ timeouts, liftTimeout }));
      return;
    }
    clusterMetrics(registry).then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(text);
      },
      (err: Error) => {
        timeouts++;
        liftTimeout = true;
        res.writeHead(500);
        res.end(err.message);
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  console.log(
    JSON.stringify({ url: `http://127.0.0.1:${port}/metrics`, statsUrl: `http://127.0.0.1:${port}/stats` }),
  );
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  await nextStdinLine();
  stop();
} else {
  const w = Number(process.env.BENCH_WORKER);
  new client.AggregatorRegistry(); // installs the worker's listener for the primary's requests
  const counter = new client.Counter({ name: METRIC, help: HELP, labelNames: [...LABELS] });
  const [from, to] = range(w);
  for (let i = from; i < to; i++) counter.inc(seriesLabels(i), 1 + (i % 7));
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: w });
}

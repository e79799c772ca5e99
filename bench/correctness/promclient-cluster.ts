// prom-client over WORKERS node:cluster workers, in the two ways a Node proxy can expose it:
//   per-worker   every worker serves its own registry on the shared port (node:cluster hands each
//                new connection to the next worker): LiteLLM's #10595 situation
//   aggregator   the primary answers with AggregatorRegistry.clusterMetrics()
// Worker w writes its share of the increments paced (pace.ts: COUNT and BATCH may be lists) after "go" on stdin. Prints {"url"} when
// ready and {"done": true, "count": total} when every worker has finished; a 2nd line stops all.
//
//   node --import tsx bench/correctness/promclient-cluster.ts MODE WORKERS COUNT SERIES BATCH TICK_MS
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import client from 'prom-client';
import { HELP, LABELS, METRIC, seriesLabels } from '../aggregate/workload.js';
import { nextStdinLine } from './procs.js';
import { paceFromArgs, pacedWrites } from './pace.js';

const mode = process.argv[2];
const WORKERS = Number(process.argv[3]);
const pace = paceFromArgs(process.argv.slice(4, 8), Number(process.env.BENCH_WORKER ?? 0));
if (mode !== 'per-worker' && mode !== 'aggregator') throw new Error(`unknown mode ${mode}`);

if (cluster.isPrimary) {
  const registry = mode === 'aggregator' ? new client.AggregatorRegistry() : undefined;
  const ready = new Map<number, number>();
  let doneCount = 0;
  let total = 0;
  for (let w = 0; w < WORKERS; w++) {
    const worker = cluster.fork({ BENCH_WORKER: String(w) });
    worker.on('message', (m: { ready?: number; port?: number; done?: number }) => {
      if (m.ready !== undefined) ready.set(m.ready, m.port ?? 0);
      if (m.done !== undefined) {
        doneCount++;
        total += m.done;
        if (doneCount === WORKERS) console.log(JSON.stringify({ done: true, count: total }));
      }
    });
  }
  while (ready.size < WORKERS) await new Promise((r) => setTimeout(r, 20));
  let url: string;
  if (registry) {
    const server = createServer((_req, res) => {
      registry.clusterMetrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
  } else {
    const ports = new Set(ready.values());
    if (ports.size !== 1) throw new Error(`workers listen on different ports: ${[...ports].join(', ')}`);
    url = `http://127.0.0.1:${[...ports][0]}/metrics`;
  }
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  console.log(JSON.stringify({ url }));
  await nextStdinLine();
  for (const w of Object.values(cluster.workers ?? {})) w?.send({ go: true });
  await nextStdinLine();
  stop();
} else {
  const w = Number(process.env.BENCH_WORKER);
  if (mode === 'aggregator') new client.AggregatorRegistry(); // answers the primary's requests
  const counter = new client.Counter({ name: METRIC, help: HELP, labelNames: [...LABELS] });
  const labels = Array.from({ length: pace.series }, (_, k) => seriesLabels(k));
  let port = 0;
  if (mode === 'per-worker') {
    const server = createServer((_req, res) => {
      client.register.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': client.register.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    // In a cluster worker, listen(0) gets the one port the primary opened for every worker.
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  }
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: { go?: boolean }) => {
    if (!m.go) return;
    void pacedWrites(pace, (k) => counter.inc(labels[k]!)).then((n) => process.send?.({ done: n }));
  });
  process.send?.({ ready: w, port });
}

// Ingest rate of the embedded aggregator: OTLP bodies made by the real SDK + serializers
// (4 writers × 25k delta points each), POSTed over HTTP as the exporters do; JSON, protobuf,
// and gzip'd JSON. Each round sends the 4 bodies once (rounds after the first hit existing series,
// the steady state). Also the merge alone (already-decoded requests into the store).
//
//   node --import tsx bench/aggregate/ingest.ts [--series 100000] [--workers 4] [--rounds 5]

import { gzipSync } from 'node:zlib';
import { cpus, totalmem } from 'node:os';
import {
  createMergeStore,
  normalizeExportRequest,
  resolveAggregatorOptions,
  startAggregator,
} from '../../src/aggregate/index.js';
import { collectWorker, jsonBody, median, protobufBody } from './workload.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
}
const SERIES = arg('--series', 100_000);
const WORKERS = arg('--workers', 4);
const ROUNDS = arg('--rounds', 5);

interface Variant {
  name: string;
  contentType: string;
  encoding?: string;
  bodies: Buffer[];
}

const per = Math.ceil(SERIES / WORKERS);
const rms = [];
for (let w = 0; w < WORKERS; w++)
  rms.push(await collectWorker(`bench-w${w}`, w * per, Math.min(SERIES, (w + 1) * per)));
const json = rms.map(jsonBody);
const variants: Variant[] = [
  { name: 'OTLP/JSON', contentType: 'application/json', bodies: json },
  { name: 'OTLP/protobuf', contentType: 'application/x-protobuf', bodies: rms.map(protobufBody) },
  {
    name: 'OTLP/JSON gzip',
    contentType: 'application/json',
    encoding: 'gzip',
    bodies: json.map((b) => gzipSync(b)),
  },
];

const results = [];
for (const v of variants) {
  const a = await startAggregator({ otlpPort: 0, metricsPort: 0, maxBodyBytes: 256 * 1024 * 1024 });
  const perRound: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const t0 = performance.now();
    for (const body of v.bodies) {
      const headers: Record<string, string> = { 'Content-Type': v.contentType };
      if (v.encoding) headers['Content-Encoding'] = v.encoding;
      const res = await fetch(a.otlpUrl, { method: 'POST', headers, body });
      if (res.status !== 200) throw new Error(`${v.name}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
    const ms = performance.now() - t0;
    if (r > 0) perRound.push(ms); // round 0 creates the series (and warms up)
  }
  if (a.store.size !== SERIES) throw new Error(`expected ${SERIES} series, have ${a.store.size}`);
  await a.close();
  const m = median(perRound);
  const bodyBytes = v.bodies.reduce((n, b) => n + b.length, 0);
  const line = {
    variant: v.name,
    points: SERIES,
    bodyBytes,
    medianMsPerRound: Math.round(m),
    pointsPerSecond: Math.round((SERIES / m) * 1000),
    roundsMs: perRound.map(Math.round),
  };
  results.push(line);
  console.log(JSON.stringify(line));
}

// The merge alone: decoded, validated requests into the store (no HTTP, no JSON.parse).
{
  const store = createMergeStore(resolveAggregatorOptions({ maxSeries: 10_000_000 }));
  const decoded = json.map((b) => normalizeExportRequest(JSON.parse(b.toString('utf8'))));
  const perRound: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const t0 = performance.now();
    for (const d of decoded) store.ingest(d);
    if (r > 0) perRound.push(performance.now() - t0);
  }
  const m = median(perRound);
  console.log(
    JSON.stringify({
      variant: 'merge only (MergeStore.ingest)',
      points: SERIES,
      medianMsPerRound: Math.round(m),
      pointsPerSecond: Math.round((SERIES / m) * 1000),
    }),
  );
}
const c = cpus();
console.log(
  JSON.stringify({
    summary: true,
    machine: `${c.length} × ${c[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  }),
);
process.exit(0);

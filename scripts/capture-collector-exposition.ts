// Regenerates the collector ground truth in test/fixtures/collector/ (see docs/collector.md).
//
//   node --import tsx scripts/capture-collector-exposition.ts            # record anew + capture
//   node --import tsx scripts/capture-collector-exposition.ts --replay   # reuse the committed bodies
//   node --import tsx scripts/capture-collector-exposition.ts --replay --check   # diff, write nothing
//
// 1. Record: two probe-worker processes (real OTel JS SDK, DELTA, distinct service.instance.id)
//    export to a tiny local HTTP recorder; the exact OTLP/JSON request bodies are kept.
// 2. Replay: those bodies are POSTed, in order, to the real collector (otelcol-litellm built by
//    scripts/build-collector.sh, running the shipped otel-collector.yaml on loopback).
// 3. Capture: the collector's /metrics with several Accept headers, and its own telemetry page.
// The bodies are the input and the pages the expected output for the embedded aggregator.

import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCollector, type RunningCollector } from '../test/e2e/harness/collector.js';
import { repoRoot, requireCollectorBinary } from '../test/e2e/harness/collector-binary.js';

const fixtureDir = join(repoRoot, 'test', 'fixtures', 'collector');
const workerScript = join(repoRoot, 'test', 'e2e', 'harness', 'probe-worker.ts');

export interface RecordedRequest {
  worker: number;
  contentType: string;
  /** The exact request body as the SDK sent it (OTLP/JSON text). */
  body: string;
}

/** The Accept headers captured, each into its own file. */
export const ACCEPTS: { file: string; accept: string | undefined; why: string }[] = [
  { file: 'metrics-default.txt', accept: undefined, why: 'no Accept header (curl, a browser): text 0.0.4' },
  {
    file: 'metrics-openmetrics.txt',
    accept: 'application/openmetrics-text; version=1.0.0',
    why: 'asks for OpenMetrics 1.0.0',
  },
  {
    file: 'metrics-prometheus3-scrape.txt',
    accept:
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    why: "Prometheus 3's default scrape Accept header",
  },
];

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function runWorker(url: string, worker: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', workerScript, '--url', url, '--worker', String(worker)],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`worker ${worker} exited ${code ?? signal}: ${err}`));
    });
  });
}

/** Runs workers 1 and 2 one after the other against a local recorder; returns every request. */
export async function recordRequests(): Promise<RecordedRequest[]> {
  const requests: RecordedRequest[] = [];
  let currentWorker = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((body) => {
      if (req.method === 'POST' && req.url === '/v1/metrics') {
        requests.push({
          worker: currentWorker,
          contentType: req.headers['content-type'] ?? '',
          body: body.toString('utf8'),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('recorder has no TCP address');
    const url = `http://127.0.0.1:${address.port}/v1/metrics`;
    for (const worker of [1, 2]) {
      currentWorker = worker;
      await runWorker(url, worker);
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return requests;
}

/** Number of data points in an OTLP/JSON body. */
export function countPoints(body: string): number {
  type Metric = Record<string, { dataPoints?: unknown[] } | undefined>;
  const parsed = JSON.parse(body) as {
    resourceMetrics?: { scopeMetrics?: { metrics?: Metric[] }[] }[];
  };
  let n = 0;
  for (const rm of parsed.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        for (const kind of ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary']) {
          n += m[kind]?.dataPoints?.length ?? 0;
        }
      }
    }
  }
  return n;
}

/** Sum of one otelcol_* telemetry metric's samples whose line contains `filter`. */
export function telemetryValue(page: string, name: string, filter = ''): number {
  let total = 0;
  for (const line of page.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (!line.includes(filter)) continue;
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/**
 * POSTs the bodies in order and waits (bounded) until the prometheus exporter has received every
 * point, read from the collector's own telemetry.
 */
export async function replay(collector: RunningCollector, requests: RecordedRequest[]): Promise<void> {
  let points = 0;
  for (const r of requests) {
    const res = await fetch(collector.otlpMetricsUrl, {
      method: 'POST',
      headers: { 'content-type': r.contentType },
      body: r.body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`collector answered ${res.status} to a replayed body: ${text}`);
    points += countPoints(r.body);
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const page = await (await fetch(collector.telemetryUrl, { signal: AbortSignal.timeout(5000) })).text();
    const sent = telemetryValue(page, 'otelcol_exporter_sent_metric_points', 'exporter="prometheus"');
    if (sent >= points) return;
    if (Date.now() > deadline) throw new Error(`prometheus exporter got ${sent} of ${points} points in 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Capture {
  file: string;
  accept: string | undefined;
  status: number;
  contentType: string;
  body: string;
}

export async function captureExpositions(collector: RunningCollector): Promise<Capture[]> {
  const out: Capture[] = [];
  for (const a of ACCEPTS) {
    const headers: Record<string, string> = a.accept === undefined ? {} : { accept: a.accept };
    const res = await fetch(collector.metricsUrl, { headers, signal: AbortSignal.timeout(5000) });
    out.push({
      file: a.file,
      accept: a.accept,
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: await res.text(),
    });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { replay: { type: 'boolean' }, check: { type: 'boolean' } } });
  if (values.check === true && values.replay !== true) throw new Error('--check needs --replay');
  const binary = requireCollectorBinary();
  mkdirSync(fixtureDir, { recursive: true });

  const requestsFile = join(fixtureDir, 'otlp-requests.json');
  const requests: RecordedRequest[] =
    values.replay === true
      ? (JSON.parse(readFileSync(requestsFile, 'utf8')) as { requests: RecordedRequest[] }).requests
      : await recordRequests();

  const collector = await startCollector({ binary });
  let captures: Capture[];
  let telemetry: string;
  try {
    await replay(collector, requests);
    captures = await captureExpositions(collector);
    telemetry = await (await fetch(collector.telemetryUrl, { signal: AbortSignal.timeout(5000) })).text();
  } finally {
    await collector.stop();
  }

  if (values.check === true) {
    let same = true;
    for (const c of captures) {
      const want = readFileSync(join(fixtureDir, c.file), 'utf8');
      if (want !== c.body) {
        same = false;
        process.stderr.write(`DIFFERS: ${c.file}\n--- committed\n${want}\n--- now\n${c.body}\n`);
      }
    }
    process.stdout.write(same ? 'captures match the committed fixtures\n' : '');
    process.exitCode = same ? 0 : 1;
    return;
  }

  if (values.replay !== true) {
    const doc = {
      note:
        'Exact OTLP/JSON request bodies two probe workers (test/e2e/harness/probe-worker.ts) sent, in ' +
        'the order replayed to the collector. POST each body with its contentType to /v1/metrics.',
      requests,
    };
    writeFileSync(requestsFile, `${JSON.stringify(doc, null, 2)}\n`);
  }
  for (const c of captures) writeFileSync(join(fixtureDir, c.file), c.body);
  writeFileSync(join(fixtureDir, 'telemetry.txt'), telemetry);
  const version = readFileSync(join(repoRoot, 'deploy', 'collector', 'VERSION'), 'utf8').trim();
  const responses = {
    collector: `otelcol-litellm ${version} (scripts/build-collector.sh), config otel-collector.yaml`,
    captures: captures.map((c) => ({
      file: c.file,
      requestAccept: c.accept ?? null,
      why: ACCEPTS.find((a) => a.file === c.file)?.why,
      status: c.status,
      responseContentType: c.contentType,
    })),
  };
  writeFileSync(join(fixtureDir, 'responses.json'), `${JSON.stringify(responses, null, 2)}\n`);
  process.stdout.write(
    `wrote ${captures.length + 2 + (values.replay === true ? 0 : 1)} files to ${fixtureDir}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `capture failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

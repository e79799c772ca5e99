// Record, replay and capture for the collector ground truth (used by
// scripts/capture-collector-exposition.ts and test/collector/config.test.ts).

import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { RunningCollector } from './collector.js';
import { repoRoot } from './collector-binary.js';

export const collectorFixtureDir = join(repoRoot, 'test', 'fixtures', 'collector');
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

/** Runs one probe worker process to completion (bounded: killed after 60 s). */
export function runProbeWorker(url: string, worker: number): Promise<void> {
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
      await runProbeWorker(url, worker);
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
 * POSTs the bodies in order and waits (bounded, 20 s) until the prometheus exporter has received
 * `expectExported` points (default: every point sent), read from the collector's own telemetry.
 * Pass fewer when the pipeline is expected to drop some (a cumulative baseline, a negative control).
 */
export async function replay(
  collector: RunningCollector,
  requests: RecordedRequest[],
  expectExported?: number,
): Promise<void> {
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
    const want = expectExported ?? points;
    if (sent >= want) return;
    if (Date.now() > deadline) throw new Error(`prometheus exporter got ${sent} of ${want} points in 20 s`);
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

// A small OTLP/HTTP metrics receiver for tests only: node:http on 127.0.0.1, OTLP JSON decoding, sums of
// delta values and histogram counts per (service.instance.id, metric, attributes). It can answer with a
// configured status, hang after reading the body, or be stopped and started again on the same port.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
};
type KeyValue = { key: string; value: AnyValue };
type NumberPoint = { attributes?: KeyValue[]; asDouble?: number; asInt?: number | string };
type HistogramPoint = { attributes?: KeyValue[]; count?: number | string; sum?: number };
type JsonMetric = {
  name: string;
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality: number; isMonotonic?: boolean };
  gauge?: { dataPoints: NumberPoint[] };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality: number };
};
type JsonBody = {
  resourceMetrics?: { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { metrics?: JsonMetric[] }[] }[];
};

export interface ReceivedRequest {
  at: number;
  status: number;
  contentType: string;
  contentEncoding: string;
  bytes: number;
  /** service.instance.id of each ResourceMetrics (JSON only). */
  instanceIds: string[];
  /** process.pid of each ResourceMetrics (JSON only). */
  pids: number[];
  /** Raw body (after gunzip). */
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

export interface SeriesTotal {
  instanceId: string;
  metric: string;
  attributes: string;
  /** Sum of delta values (sums) or of counts (histograms); last value for cumulative/gauge. */
  value: number;
  /** Histogram sums, added. */
  sum: number;
  temporalities: Set<number>;
  points: number;
}

/** What the receiver does with the next request. */
export type Behaviour =
  | { kind: 'accept' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** Read the whole body, never answer (the client times out after sending). */
  | { kind: 'hang' };

function anyValue(v: AnyValue | undefined): string | number | boolean | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
}

function attrsKey(attrs: KeyValue[] | undefined): string {
  const entries = (attrs ?? []).map((kv) => [kv.key, anyValue(kv.value)] as const);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly series = new Map<string, SeriesTotal>();
  /** Resource attributes seen per service.instance.id (last seen). */
  readonly resources = new Map<string, Record<string, unknown>>();
  behaviour: Behaviour = { kind: 'accept' };
  private server: http.Server | undefined;
  private port = 0;
  private readonly hanging = new Set<http.ServerResponse>();

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/metrics`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the listener and every connection: clients see ECONNREFUSED (or a reset) until start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const contentEncoding = String(req.headers['content-encoding'] ?? '');
      if (contentEncoding === 'gzip') body = gunzipSync(body);
      const contentType = String(req.headers['content-type'] ?? '');
      const b = this.behaviour;
      const status = b.kind === 'status' ? b.status : b.kind === 'hang' ? 0 : 200;
      const rec: ReceivedRequest = {
        at: Date.now(),
        status,
        contentType,
        contentEncoding,
        bytes: body.length,
        instanceIds: [],
        pids: [],
        body,
        headers: req.headers,
      };
      this.requests.push(rec);
      if (b.kind === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      if (status === 200 && contentType.startsWith('application/json')) {
        const seen = this.ingest(JSON.parse(body.toString('utf8')) as JsonBody);
        rec.instanceIds = seen.map((x) => x.instanceId);
        rec.pids = seen.map((x) => x.pid);
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (b.kind === 'status' && b.retryAfterSeconds !== undefined)
        headers['retry-after'] = String(b.retryAfterSeconds);
      res.writeHead(status, headers);
      res.end(status === 200 ? '{}' : '{"code":14,"message":"unavailable"}');
    });
  }

  private ingest(body: JsonBody): { instanceId: string; pid: number }[] {
    const ids: { instanceId: string; pid: number }[] = [];
    for (const rm of body.resourceMetrics ?? []) {
      const resAttrs: Record<string, unknown> = {};
      for (const kv of rm.resource?.attributes ?? []) resAttrs[kv.key] = anyValue(kv.value);
      const instanceId = String(resAttrs['service.instance.id'] ?? '');
      ids.push({ instanceId, pid: Number(resAttrs['process.pid']) });
      this.resources.set(instanceId, resAttrs);
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          if (m.sum) {
            for (const dp of m.sum.dataPoints) {
              const v = Number(dp.asDouble ?? dp.asInt ?? 0);
              this.add(instanceId, m.name, dp.attributes, m.sum.aggregationTemporality, v, 0);
            }
          } else if (m.histogram) {
            for (const dp of m.histogram.dataPoints) {
              this.add(
                instanceId,
                m.name,
                dp.attributes,
                m.histogram.aggregationTemporality,
                Number(dp.count ?? 0),
                dp.sum ?? 0,
              );
            }
          } else if (m.gauge) {
            for (const dp of m.gauge.dataPoints) {
              this.add(instanceId, m.name, dp.attributes, 0, Number(dp.asDouble ?? dp.asInt ?? 0), 0);
            }
          }
        }
      }
    }
    return ids;
  }

  private add(
    instanceId: string,
    metric: string,
    attrs: KeyValue[] | undefined,
    temporality: number,
    value: number,
    sum: number,
  ): void {
    const attributes = attrsKey(attrs);
    const key = `${instanceId}\u0000${metric}\u0000${attributes}`;
    let s = this.series.get(key);
    if (!s) {
      s = { instanceId, metric, attributes, value: 0, sum: 0, temporalities: new Set(), points: 0 };
      this.series.set(key, s);
    }
    s.temporalities.add(temporality);
    s.points += 1;
    if (temporality === 1) {
      s.value += value;
      s.sum += sum;
    } else {
      s.value = value;
      s.sum = sum;
    }
  }

  /** Totals of one metric for one instance: attributes JSON -> value. */
  totals(metric: string, instanceId: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.series.values()) {
      if (s.metric === metric && s.instanceId === instanceId) out.set(s.attributes, s.value);
    }
    return out;
  }

  /** Sum over every instance and attribute set of one metric. */
  metricTotal(metric: string): number {
    let t = 0;
    for (const s of this.series.values()) if (s.metric === metric) t += s.value;
    return t;
  }

  /** Sum over attribute sets of one metric for one instance. */
  total(metric: string, instanceId: string): number {
    let t = 0;
    for (const v of this.totals(metric, instanceId).values()) t += v;
    return t;
  }

  /** Temporalities seen for every metric (OTLP wire values: 1 delta, 2 cumulative; 0 = gauge). */
  temporalities(): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>();
    for (const s of this.series.values()) {
      const t = out.get(s.metric) ?? new Set<number>();
      for (const x of s.temporalities) t.add(x);
      out.set(s.metric, t);
    }
    return out;
  }
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startReceiver(): Promise<TestReceiver> {
  const r = new TestReceiver();
  await r.start();
  return r;
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

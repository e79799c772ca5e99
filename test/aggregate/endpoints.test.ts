/**
 * HTTP surface and configuration: protobuf decoding of a real body, format negotiation,
 * OpenMetrics output, bearer token, gzip, wrong paths and methods, one shared port, option errors.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AggregatorConfigError,
  decodeExportRequestProtobuf,
  negotiateFormat,
  normalizeExportRequest,
  resolveAggregatorOptions,
  startAggregator,
  type Aggregator,
  type AggregatorOptions,
} from '../../src/aggregate/index.js';
import { parseExposition, scrape } from './support/parse-prom.js';
import { freePort } from './support/free-port.js';

// shared/ sits beside the repository (as in CI).
const SAMPLE_JSON = fileURLToPath(new URL('../../../shared/otel/otlp-sample.json', import.meta.url));
const SAMPLE_PB = fileURLToPath(new URL('../../../shared/otel/otlp-sample.pb', import.meta.url));

const opened: Aggregator[] = [];
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
});

async function start(o: AggregatorOptions = {}): Promise<Aggregator> {
  const a = await startAggregator({ otlpPort: 0, metricsPort: 0, ...o });
  opened.push(a);
  return a;
}

async function postSample(a: Aggregator): Promise<void> {
  const res = await fetch(a.otlpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body: readFileSync(SAMPLE_PB),
  });
  expect(res.status).toBe(200);
  expect((await res.arrayBuffer()).byteLength).toBe(0);
}

describe('OTLP/protobuf decoding', () => {
  it('decodes the real exporter-metrics-otlp-proto sample to the same content as the JSON sample', () => {
    const fromPb = normalizeExportRequest(decodeExportRequestProtobuf(readFileSync(SAMPLE_PB)));
    const fromJson = normalizeExportRequest(JSON.parse(readFileSync(SAMPLE_JSON, 'utf8')));
    // The two bodies were captured from two exports a few ms apart: equal but for timestamps.
    const strip = (x: unknown) =>
      JSON.parse(JSON.stringify(x, (k, v) => (k === 'start' || k === 'time' ? 0 : v)));
    expect(strip(fromPb)).toEqual(strip(fromJson));
    expect(fromPb.pointCount).toBe(5);
    const metrics = fromPb.resources[0]?.scopes[0]?.metrics ?? [];
    expect(metrics.map((m) => m.kind)).toEqual(['histogram', 'sum', 'gauge', 'sum']);
  });
});

describe('/metrics', () => {
  it('serves text 0.0.4 by default, whatever the Accept header (as the shipped collector config)', async () => {
    const a = await start();
    await postSample(a);
    const om = await scrape(a.metricsUrl, { Accept: 'application/openmetrics-text;version=1.0.0' });
    expect(om.contentType).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
    expect(om.text).not.toContain('# EOF');
    parseExposition(om.text);
  });

  it('serves OpenMetrics when enabled and asked for: unknown for a counter without _total, 1.0-style numbers, # EOF', async () => {
    const a = await start({ enableOpenMetrics: true, selfMetrics: false });
    await postSample(a);
    const res = await scrape(a.metricsUrl, {
      Accept:
        'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    });
    expect(res.contentType).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8',
    );
    expect(res.text).toContain(
      '# TYPE llm_requests unknown\nllm_requests{end_user="alice",job="llm-proxy",model="gpt-4o"} 3.0\n',
    );
    expect(res.text).toContain('llm_request_duration_bucket{job="llm-proxy",model="gpt-4o",le="1.0"} 3\n');
    expect(res.text.endsWith('# EOF\n')).toBe(true);
    parseExposition(res.text, true);
  });

  it('negotiates like client_golang: q order, text/plain only in 0.0.4, escaping carried over', () => {
    expect(negotiateFormat(undefined, true).format).toBe('text');
    expect(negotiateFormat('text/plain;version=1.0.0,application/openmetrics-text;q=0.1', true).format).toBe(
      'openmetrics',
    );
    expect(negotiateFormat('application/openmetrics-text;q=0.1,text/plain', true).format).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;version=0.0.1', true).contentType).toContain(
      'version=0.0.1',
    );
    expect(negotiateFormat('application/openmetrics-text;version=2.0.0', true).format).toBe('text');
  });

  it('requires the bearer token when one is set', async () => {
    const a = await start({ bearerToken: 's3cret' });
    expect((await scrape(a.metricsUrl)).status).toBe(401);
    expect((await scrape(a.metricsUrl, { Authorization: 'Bearer wrong!' })).status).toBe(401);
    const ok = await scrape(a.metricsUrl, { Authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('litellm_otel_aggregator_unauthorized_scrapes_total 2\n');
  });

  it('gzips the answer when the scraper accepts gzip', async () => {
    const a = await start();
    await postSample(a);
    const res = await fetch(a.metricsUrl, { headers: { 'Accept-Encoding': 'gzip' } });
    // fetch decompresses transparently; check the header and the content.
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toContain('llm_requests{');
    const raw = await new Promise<Buffer>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(a.metricsUrl, { headers: { 'Accept-Encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve(Buffer.concat(chunks)));
        }).on('error', reject),
      );
    });
    expect(gunzipSync(raw).toString()).toContain('# TYPE llm_requests counter');
  });
});

describe('routes and configuration', () => {
  it('answers 404 on other paths and 405 on other methods', async () => {
    const a = await start();
    const base = new URL(a.otlpUrl).origin;
    expect((await fetch(`${base}/v1/traces`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(a.otlpUrl)).status).toBe(405);
    expect((await fetch(a.metricsUrl, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('serves both paths from one server when both addresses are the same', async () => {
    const port = await freePort();
    const a = await start({ otlpPort: port, metricsPort: port });
    expect(a.otlpUrl).toBe(`http://127.0.0.1:${port}/v1/metrics`);
    expect(a.metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
    await postSample(a);
    expect((await scrape(a.metricsUrl)).text).toContain('llm_requests{');
  });

  it('validates options once, naming the key and the reason', () => {
    expect(() => resolveAggregatorOptions({ otlpPort: 70000 })).toThrow(AggregatorConfigError);
    expect(() => resolveAggregatorOptions({ otlpPort: 70000 })).toThrow(/otlpPort/);
    expect(() => resolveAggregatorOptions({ expireAfterSeconds: -1 })).toThrow(/expireAfterSeconds/);
    expect(() => resolveAggregatorOptions({ maxSeries: 1.5 })).toThrow(/maxSeries/);
    expect(() => resolveAggregatorOptions({ bearerToken: '' })).toThrow(/bearerToken/);
    expect(() => resolveAggregatorOptions({ nope: 1 } as never)).toThrow(/nope/);
    const d = resolveAggregatorOptions();
    expect([d.otlpHost, d.otlpPort, d.metricsHost, d.metricsPort, d.expireAfterSeconds]).toEqual([
      '127.0.0.1',
      4318,
      '127.0.0.1',
      8889,
      3600,
    ]);
  });

  it('refuses to start on a port in use, leaving nothing listening', async () => {
    const a = await start();
    const busy = new URL(a.metricsUrl).port;
    await expect(startAggregator({ otlpPort: 0, metricsPort: Number(busy) })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('scrape output buffer reuse', () => {
  it('gives every one of many concurrent and sequential scrapes a complete, current page', async () => {
    const a = await start({ selfMetrics: false });
    const body = (v: number) =>
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 's' } }] },
            scopeMetrics: [
              {
                metrics: Array.from({ length: 50 }, (_, i) => ({
                  name: `m${i}_total`,
                  sum: {
                    aggregationTemporality: 1,
                    isMonotonic: true,
                    dataPoints: [
                      { asDouble: v, attributes: [{ key: 'pad', value: { stringValue: 'x'.repeat(200) } }] },
                    ],
                  },
                })),
              },
            ],
          },
        ],
      });
    for (let round = 1; round <= 5; round++) {
      await fetch(a.otlpUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: body(1),
      });
      const pages = await Promise.all(Array.from({ length: 8 }, () => scrape(a.metricsUrl)));
      for (const p of pages) {
        const samples = parseExposition(p.text).samples;
        expect(samples).toHaveLength(50);
        expect(new Set(samples.map((s) => s.value))).toEqual(new Set([round]));
      }
    }
  });
});

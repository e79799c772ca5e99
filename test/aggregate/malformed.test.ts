/* eslint-disable @typescript-eslint/no-explicit-any -- hand-built hostile OTLP/JSON is edited freely */
/**
 * Hostile and broken input: every malformed body gets a clear 4xx with a message, nothing is
 * merged from it, the aggregator keeps serving, and the exposition stays parseable.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/aggregate/index.js';
import { createSdkPipeline } from './support/sdk.js';
import { post, startCaptureSink, type CapturedBody } from './support/capture.js';
import { parseExposition, scrape } from './support/parse-prom.js';

const LIMIT = 64 * 1024;
let a: Aggregator;
let json: CapturedBody;
let proto: CapturedBody;

beforeAll(async () => {
  a = await startAggregator({ otlpPort: 0, metricsPort: 0, selfMetrics: false, maxBodyBytes: LIMIT });
  // Real exporter bodies to start from (and to truncate).
  const sink = await startCaptureSink();
  for (const protocol of ['json', 'protobuf'] as const) {
    const w = createSdkPipeline({ url: sink.url, instanceId: `w-${protocol}`, protocol });
    const m = w.provider.getMeter('litellm-otel', '0.1.0');
    m.createCounter('litellm_proxy_total_requests_metric_total').add(3, {
      model: 'AAAAAAAA',
      status_code: '200',
    });
    m.createHistogram('litellm_request_total_latency_metric', {
      advice: { explicitBucketBoundaries: [1, 5] },
    }).record(2, { model: 'm' });
    await w.shutdown();
  }
  await sink.close();
  [json, proto] = sink.bodies as [CapturedBody, CapturedBody];
  expect((await post(a.otlpUrl, json)).status).toBe(200);
});

afterAll(async () => {
  await a?.close();
});

function raw(
  body: Buffer | string,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): CapturedBody {
  return { contentType, contentEncoding: headers['content-encoding'], body: Buffer.from(body) };
}

async function expectRefused(b: CapturedBody, status: number, message: RegExp): Promise<void> {
  const before = (await scrape(a.metricsUrl)).text;
  const res = await post(a.otlpUrl, b);
  const text = await res.text();
  expect(res.status).toBe(status);
  expect(text).toMatch(message);
  const after = (await scrape(a.metricsUrl)).text;
  expect(after).toBe(before);
  parseExposition(after);
}

const withBody = (mutate: (o: Record<string, any>) => void): CapturedBody => {
  const o = JSON.parse(json.body.toString('utf8')) as Record<string, any>;
  mutate(o);
  return raw(JSON.stringify(o));
};
const firstMetric = (o: Record<string, any>) => o.resourceMetrics[0].scopeMetrics[0].metrics[0];

describe('malformed OTLP/JSON', () => {
  it('answers 400 to a truncated JSON body and changes nothing', async () => {
    await expectRefused(raw(json.body.subarray(0, json.body.length >> 1)), 400, /invalid OTLP\/JSON body/);
  });

  it('answers 400 naming the field for wrong types', async () => {
    await expectRefused(raw('[]'), 400, /\(body\): expected an object/);
    await expectRefused(raw('{"resourceMetrics":{}}'), 400, /resourceMetrics: expected an array/);
    await expectRefused(
      withBody((o) => (firstMetric(o).sum.dataPoints[0].asDouble = 'lots')),
      400,
      /asDouble: expected a number/,
    );
    await expectRefused(
      withBody((o) => (firstMetric(o).sum.dataPoints[0].timeUnixNano = '12a')),
      400,
      /timeUnixNano: expected an integer/,
    );
    await expectRefused(
      withBody((o) => (firstMetric(o).sum.isMonotonic = 'yes')),
      400,
      /isMonotonic: expected a boolean/,
    );
    await expectRefused(
      withBody((o) => (firstMetric(o).sum.dataPoints[0].attributes = 'x')),
      400,
      /attributes: expected an array/,
    );
    await expectRefused(
      withBody(
        (o) => (o.resourceMetrics[0].scopeMetrics[0].metrics[1].histogram.dataPoints[0].bucketCounts[0] = -1),
      ),
      400,
      /bucketCounts\[0\]: expected a non-negative integer/,
    );
  });

  it('refuses a partly valid request whole: the valid metric before the bad one is not merged', async () => {
    await expectRefused(
      withBody((o) => (o.resourceMetrics[0].scopeMetrics[0].metrics[1].histogram.dataPoints[0].count = {})),
      400,
      /count: expected an integer/,
    );
  });

  it('answers 400 to attribute values nested without end', async () => {
    let v: Record<string, unknown> = { stringValue: 'x' };
    for (let i = 0; i < 40; i++) v = { arrayValue: { values: [v] } };
    await expectRefused(
      withBody((o) => firstMetric(o).sum.dataPoints[0].attributes.push({ key: 'deep', value: v })),
      400,
      /nested too deeply/,
    );
  });
});

describe('oversized and badly encoded bodies', () => {
  it('answers 413 to a body over maxBodyBytes, declared or streamed', async () => {
    const huge = Buffer.alloc(LIMIT + 1, 0x20);
    await expectRefused(raw(huge), 413, /exceeds the limit/);
    // Streamed without Content-Length.
    const res = await fetch(a.otlpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(LIMIT / 2));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('answers 413 to a gzip bomb and 400 to broken gzip', async () => {
    await expectRefused(
      raw(gzipSync(Buffer.alloc(LIMIT * 4, 0x20)), 'application/json', { 'content-encoding': 'gzip' }),
      413,
      /decompressed/,
    );
    await expectRefused(
      raw('not gzip at all', 'application/json', { 'content-encoding': 'gzip' }),
      400,
      /could not decompress/,
    );
  });

  it('answers 415 to an unknown content type or encoding', async () => {
    await expectRefused(raw('x', 'text/plain'), 415, /Content-Type "text\/plain" is not supported/);
    await expectRefused(
      raw(json.body, 'application/json', { 'content-encoding': 'br' }),
      415,
      /Content-Encoding \\"br/,
    );
  });
});

describe('malformed OTLP/protobuf', () => {
  it('answers 400 to a truncated real protobuf body and to random bytes', async () => {
    await expectRefused(
      raw(proto.body.subarray(0, proto.body.length - 7), 'application/x-protobuf'),
      400,
      /invalid OTLP\/protobuf body/,
    );
    await expectRefused(
      raw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]), 'application/x-protobuf'),
      400,
      /invalid OTLP\/protobuf body/,
    );
  });

  it('answers 400 to a label value that is not UTF-8', async () => {
    const body = Buffer.from(proto.body);
    const at = body.indexOf(Buffer.from('AAAAAAAA'));
    expect(at).toBeGreaterThan(0);
    body[at + 2] = 0xff;
    body[at + 3] = 0xfe;
    await expectRefused(raw(body, 'application/x-protobuf'), 400, /not valid UTF-8/);
  });
});

describe('hostile but valid input', () => {
  it('escapes quotes, newlines, backslashes and non-ASCII in label values and keeps the exposition parseable', async () => {
    const hostile = ['say "hi"', 'two\nlines', 'back\\slash\\', 'ünï 𝄞 \u2028', '\\"\n'];
    const res = await post(
      a.otlpUrl,
      withBody((o) => {
        const m = firstMetric(o);
        m.name = 'hostile_total';
        m.description = 'help with \\ and \n and "';
        m.sum.dataPoints = hostile.map((v) => ({
          ...m.sum.dataPoints[0],
          attributes: [{ key: 'v', value: { stringValue: v } }],
        }));
        o.resourceMetrics[0].scopeMetrics[0].metrics = [m];
      }),
    );
    expect(res.status).toBe(200);
    const { text } = await scrape(a.metricsUrl);
    expect(text).toContain('# HELP hostile_total help with \\\\ and \\n and "\n');
    const parsed = parseExposition(text);
    const got = parsed.samples.filter((s) => s.name === 'hostile_total').map((s) => s.labels.v);
    expect(got.sort()).toEqual([...hostile].sort());
  });

  it('skips and counts metrics of an unsupported type, answering with a partial success', async () => {
    const before = (await scrape(a.metricsUrl)).text;
    const res = await post(
      a.otlpUrl,
      withBody((o) => {
        o.resourceMetrics[0].scopeMetrics[0].metrics = [
          {
            name: 'rpc_summary',
            summary: {
              dataPoints: [
                { count: '1', sum: 1 },
                { count: '2', sum: 2 },
              ],
            },
          },
        ];
      }),
    );
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      partialSuccess?: { rejectedDataPoints?: string; errorMessage?: string };
    };
    expect(answer.partialSuccess?.rejectedDataPoints).toBe('2');
    expect(answer.partialSuccess?.errorMessage).toMatch(/summary data is not supported/);
    expect(a.store.stats.unsupportedMetrics.get('summary')).toBe(1);
    expect((await scrape(a.metricsUrl)).text).toBe(before);
  });

  it('counts rejected requests by reason', () => {
    const r = a.store.stats.rejectedRequests;
    expect(r.get('malformed')).toBeGreaterThanOrEqual(10);
    expect(r.get('too_large')).toBeGreaterThanOrEqual(3);
    expect(r.get('unsupported_media_type')).toBe(1);
    expect(r.get('unsupported_encoding')).toBe(1);
  });
});

describe('labels a scraper would choke on', () => {
  it('refuses a histogram point with an `le` attribute instead of writing `le` twice', async () => {
    const res = await post(
      a.otlpUrl,
      withBody((o) => {
        const h = o.resourceMetrics[0].scopeMetrics[0].metrics[1];
        h.name = 'le_attr_histogram';
        h.histogram.dataPoints[0].attributes.push({ key: 'le', value: { stringValue: '1' } });
        o.resourceMetrics[0].scopeMetrics[0].metrics = [h];
      }),
    );
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { partialSuccess: { rejectedDataPoints: string } }).partialSuccess
        .rejectedDataPoints,
    ).toBe('1');
    const { text } = await scrape(a.metricsUrl);
    expect(text).not.toContain('le_attr_histogram');
    parseExposition(text);
  });
});

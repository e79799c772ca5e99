import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalPrometheus, type LocalPrometheus } from '../../src/export/local-prometheus.js';
import { setupMetrics } from '../../src/record/setup.js';
import { families } from '../support/in-process.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('a single process serves its own /metrics through @opentelemetry/exporter-prometheus', () => {
  let local: LocalPrometheus | undefined;
  afterEach(async () => local?.shutdown());

  it("shows LiteLLM's names and labels over real HTTP, without scope labels or target_info", async () => {
    const setup = setupMetrics();
    local = await startLocalPrometheus({ views: setup.views, port: await freePort() });
    const r = setup.createRecorder(local.meterProvider);
    r.recordSuccess({
      requestedModel: 'gpt-4o',
      model: 'gpt-4o',
      responseCost: 0.5,
      timings: { startTime: 0, endTime: 1500 },
    });
    r.recordSuccess({
      requestedModel: 'gpt-4o',
      model: 'gpt-4o',
      responseCost: 0.25,
      timings: { startTime: 0, endTime: 20 },
    });
    const res = await fetch(local.metricsUrl);
    expect(res.status).toBe(200);
    const text = await res.text();
    const fams = families(text);
    expect(fams.get('litellm_spend_metric_total')).toContain('model="gpt-4o",team="None"');
    expect(fams.get('litellm_spend_metric_total')).toMatch(/\} 0\.75$/m);
    expect(fams.get('litellm_request_total_latency_metric')).toContain('le="0.025"} 1');
    expect(text).not.toMatch(/otel_scope_name|target_info|litellm_otel_recorder_flush/);
  });

  it("with the recorder's histogram producer: the same families, scrape after scrape (cumulative)", async () => {
    const scrapes: Map<string, string>[][] = [];
    for (const withProducer of [false, true]) {
      const setup = setupMetrics();
      const histograms = withProducer ? setup.createHistogramProducer() : undefined;
      local = await startLocalPrometheus({ views: setup.views, histograms, port: await freePort() });
      const r = setup.createRecorder(local.meterProvider, { histograms });
      const pages: Map<string, string>[] = [];
      for (const endTime of [1500, 20, 7]) {
        r.recordSuccess({ requestedModel: 'gpt-4o', model: 'gpt-4o', timings: { startTime: 0, endTime } });
        pages.push(families(await (await fetch(local.metricsUrl)).text()));
      }
      scrapes.push(pages);
      await local.shutdown();
      local = undefined;
    }
    // the producer's families follow the SDK's on the page; Prometheus reads families in any order
    expect(scrapes[1]).toEqual(scrapes[0]);
    expect(scrapes[1]![2]!.get('litellm_request_total_latency_metric')).toMatch(/_count\{[^}]*\} 3$/m);
    expect(scrapes[1]![2]!.get('litellm_request_total_latency_metric')).toMatch(/_sum\{[^}]*\} 1\.527$/m);
  });
});

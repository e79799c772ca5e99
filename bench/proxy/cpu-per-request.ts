// CPU time per proxied request with metrics on and off, in one process (client loop, proxy app, fake
// upstream): process.cpuUsage() around each run, runs alternating, medians. CPU time is far less
// sensitive than throughput to other load on a shared machine, so this isolates what the metrics cost.
//
//   node --import tsx bench/proxy/cpu-per-request.ts [--runs 5] [--requests 3000]
//
// "on": the plugin + recorder + the worker's MeterProvider (views, delta reader; the export interval is
// longer than the run, so this measures recording, not exporting). "off": no plugin, no recorder.

import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeLlm } from '../../src/fake-llm/index.js';
import { startWorkerMetrics } from '../../src/export/index.js';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { createProxyApp } from '../../src/proxy/server.js';

const REPO = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, requests: { type: 'string', default: '3000' } },
});
const RUNS = Number(values.runs);
const N = Number(values.requests);
const CONCURRENCY = 16;

const fake = await startFakeLlm({ port: 0, seed: 1 });
const config = parseProxyConfig({
  model_list: [
    {
      model_name: 'gpt-4o',
      litellm_params: {
        model: 'openai/gpt-4o',
        api_base: fake.url,
        input_cost_per_token: 0.0000025,
        output_cost_per_token: 0.00001,
      },
    },
  ],
  general_settings: { master_key: 'sk-bench' },
});
const histograms = config.metrics.createHistogramProducer();
const metrics = startWorkerMetrics({
  views: config.metrics.views,
  histograms,
  handleSignals: false,
  endpoint: 'http://127.0.0.1:9/v1/metrics',
  exportIntervalMillis: 3_600_000,
});
const apps = {
  on: await createProxyApp({
    config,
    recorder: config.metrics.createRecorder(metrics.meterProvider, { histograms }),
  }),
  off: await createProxyApp({ config, recorder: undefined }),
};
const urls: Record<'on' | 'off', string> = { on: '', off: '' };
for (const k of ['on', 'off'] as const) {
  await apps[k].listen({ host: '127.0.0.1', port: 0 });
  urls[k] = `http://127.0.0.1:${(apps[k].server.address() as AddressInfo).port}/v1/chat/completions`;
}
const body = JSON.stringify({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Hello, how are you?' }],
  max_tokens: 16,
});
const headers = { authorization: 'Bearer sk-bench', 'content-type': 'application/json' };

async function run(url: string, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < n) {
        const res = await fetch(url, { method: 'POST', headers, body });
        await res.text();
        if (res.status !== 200) throw new Error(`status ${res.status}`);
      }
    }),
  );
}

for (const k of ['on', 'off', 'on', 'off'] as const) await run(urls[k], 1000); // warm-up, JIT
const samples: Record<'on' | 'off', number[]> = { on: [], off: [] };
for (let r = 0; r < RUNS; r++) {
  for (const k of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
    const c0 = process.cpuUsage();
    await run(urls[k], N);
    const c = process.cpuUsage(c0);
    samples[k].push((c.user + c.system) / N);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const on = median(samples.on);
const off = median(samples.off);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  loadAvg1m: loadavg()[0],
  requestsPerRun: N,
  concurrency: CONCURRENCY,
  cpuMicrosPerRequestOn: samples.on,
  cpuMicrosPerRequestOff: samples.off,
  medianOn: on,
  medianOff: off,
  metricsMicrosPerRequest: on - off,
  note: 'one process: client + proxy + fake upstream; the difference is the metrics cost per request',
};
writeFileSync(join(REPO, 'bench/proxy/cpu-per-request.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `CPU per request: metrics on ${on.toFixed(0)} µs, off ${off.toFixed(0)} µs -> metrics cost ${(on - off).toFixed(0)} µs/request (${(((on - off) / off) * 100).toFixed(1)}% of the whole process)\n`,
);
await Promise.all([apps.on.close(), apps.off.close(), fake.close(), metrics.shutdown()]);
process.exit(0);

// `litellm-otel demo` (what `npm start` runs): the fake LLM on 127.0.0.1:8090, the proxy with 4 workers
// and the embedded aggregator from examples/proxy-config.yaml; prints the URLs and a curl to try.

import { startFakeLlm, type FakeLlm } from '../fake-llm/index.js';
import { startProxy, type RunningProxy } from '../proxy/cluster.js';

export interface DemoOptions {
  configPath: string;
  port: number;
  numWorkers: number;
}

/** The upstream key the example config reads through `os.environ/FAKE_LLM_API_KEY`. */
export const DEMO_UPSTREAM_KEY = 'sk-fake-upstream';
export const DEMO_FAKE_LLM_PORT = 8090;

export async function runDemo(opts: DemoOptions): Promise<{ close(): Promise<void> }> {
  process.env.FAKE_LLM_API_KEY ??= DEMO_UPSTREAM_KEY;
  const fake: FakeLlm = await startFakeLlm({
    host: '127.0.0.1',
    port: DEMO_FAKE_LLM_PORT,
    apiKey: process.env.FAKE_LLM_API_KEY,
    latencyMs: { min: 50, max: 400 },
    streamChunkDelayMs: 20,
    failureRate: 0.02,
  });
  let proxy: RunningProxy;
  try {
    proxy = await startProxy({
      configPath: opts.configPath,
      host: '127.0.0.1',
      port: opts.port,
      numWorkers: opts.numWorkers,
    });
  } catch (e) {
    await fake.close();
    throw e;
  }
  const key = proxy.config.masterKey ?? 'sk-anything';
  const model = proxy.config.groups[0] ?? 'gpt-4o';
  const lines = [
    '',
    'litellm-otel demo is running:',
    `  fake LLM upstream      ${fake.url}  (2% injected failures, 50-400 ms latency)`,
    `  proxy (${proxy.numWorkers} workers)      ${proxy.url}  (config ${opts.configPath})`,
    `  proxy /metrics         ${proxy.url}/metrics  (merged across all workers)`,
    proxy.mode === 'aggregator'
      ? `  embedded aggregator    OTLP ${proxy.otlpUrl}  Prometheus ${proxy.metricsUrl}`
      : `  metrics exported to    ${proxy.otlpUrl}`,
    '',
    'Try:',
    `  curl ${proxy.url}/v1/chat/completions \\`,
    `    -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`,
    `    -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello"}]}'`,
    `  curl -s ${proxy.url}/metrics | grep litellm_proxy_total_requests_metric_total`,
    '  (workers export every few seconds; counters appear after the first export)',
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        await proxy.close();
        await fake.close();
      })()),
  };
}

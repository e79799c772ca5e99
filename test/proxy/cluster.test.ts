// The process model: the primary restarts a worker that dies; in collector mode (OTLP endpoint set) the
// primary runs no aggregator and workers export to the configured endpoint; SIGTERM stops the workers
// after they flush, so requests answered just before the stop are all counted at the collector.
// The "collector" here is the real embedded aggregator started by the test on a free port.

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type Aggregator } from '../../src/aggregate/index.js';
import { startFakeLlm, type FakeLlm } from '../../src/fake-llm/index.js';
import {
  chat,
  parseExposition,
  pool,
  startProxyProcess,
  total,
  writeConfig,
  type ProxyProcess,
} from './support/harness.js';

let fake: FakeLlm;
let collector: Aggregator;
let proxy: ProxyProcess | undefined;
const KEY = 'sk-master';

/** Pids of the proxy workers (children running worker-main) of a primary. */
function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const raw = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(raw.slice(raw.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('worker-main'))
        out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

beforeAll(async () => {
  fake = await startFakeLlm({ seed: 9 });
  collector = await startAggregator({ otlpPort: 0, metricsPort: 0 });
  const config = writeConfig({
    model_list: [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: fake.url } }],
    // A long interval: nothing is exported before the stop, so what arrives is the shutdown flush.
    litellm_settings: { metrics_export: { endpoint: collector.otlpUrl, export_interval_millis: 60_000 } },
    general_settings: { master_key: KEY },
  });
  proxy = await startProxyProcess(config, 3);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await collector?.close();
  await fake?.close();
});

describe('cluster primary', () => {
  it('runs no aggregator in collector mode and its /metrics says where the metrics go', async () => {
    expect(proxy!.output()).toContain(`exported over OTLP to the collector at ${collector.otlpUrl}`);
    const res = await fetch(`${proxy!.url}/metrics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(collector.otlpUrl);
  });

  it('restarts a worker killed with SIGKILL and keeps serving', async () => {
    const pid = proxy!.child.pid!;
    expect(await waitFor(() => childPids(pid).length >= 3, 10_000)).toBe(true);
    const before = childPids(pid);
    const victim = before[0]!;
    process.kill(victim, 'SIGKILL');
    expect(
      await waitFor(
        () => /worker \d+ \(pid \d+\) exited \(SIGKILL\); restarting/.test(proxy!.output()),
        10_000,
      ),
    ).toBe(true);
    expect(
      await waitFor(() => {
        const now = childPids(pid);
        return now.length >= 3 && !now.includes(victim);
      }, 30_000),
    ).toBe(true);
    const results = await pool(30, 6, () =>
      chat(proxy!.url, KEY, { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
  }, 60_000);

  it('on SIGTERM, workers flush before exiting: every answered request reaches the collector', async () => {
    const results = await pool(40, 8, () =>
      chat(proxy!.url, KEY, { model: 'gpt-4o', messages: [{ role: 'user', content: 'y' }] }),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const pid = proxy!.child.pid!;
    const t0 = Date.now();
    const { code, signal } = await proxy!.stop(30_000);
    expect(Date.now() - t0).toBeLessThan(15_000); // no worker left to the primary's kill timeout
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(childPids(pid)).toEqual([]);
    const text = await (await fetch(collector.metricsUrl)).text();
    // 30 after the restart + 40 now, all recorded within one (unfinished) export interval.
    expect(total(parseExposition(text), 'litellm_proxy_total_requests_metric_total')).toBe(70);
    proxy = undefined;
  }, 60_000);
});

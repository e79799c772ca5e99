/**
 * `litellm-otel aggregator` as a real process: it listens where told, merges what it receives,
 * stops cleanly on SIGTERM, and refuses bad options with a message naming them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';
import { scrape } from './support/parse-prom.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'aggregator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LITELLM_OTEL_AGGREGATOR_TOKEN: '' },
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  exited.then(() => clearTimeout(timer));
  return { child, out: () => out, exited };
}

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('litellm-otel aggregator', () => {
  it('serves OTLP and /metrics on the given ports, with a bearer token, and stops on SIGTERM', async () => {
    const [otlp, metrics] = [await freePort(), await freePort()];
    const p = run([
      '--otlp-port',
      String(otlp),
      '--metrics-port',
      String(metrics),
      '--bearer-token',
      'tok',
      '--no-self-metrics',
    ]);
    await waitFor(() => p.out().includes('Prometheus'));
    expect(p.out()).toContain(`OTLP/HTTP http://127.0.0.1:${otlp}/v1/metrics`);
    const res = await fetch(`http://127.0.0.1:${otlp}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: readFileSync(new URL('../../../shared/otel/otlp-sample.json', import.meta.url)),
    });
    expect(res.status).toBe(200);
    const url = `http://127.0.0.1:${metrics}/metrics`;
    expect((await scrape(url)).status).toBe(401);
    const ok = await scrape(url, { Authorization: 'Bearer tok' });
    expect(ok.text).toContain('llm_requests{end_user="alice",job="llm-proxy",model="gpt-4o"} 3\n');
    expect(ok.text).not.toContain('litellm_otel_aggregator_');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 40_000);

  it('exits 1 naming the option when a value is invalid', async () => {
    const p = run(['--otlp-port', '99999', '--metrics-port', '0']);
    expect(await p.exited).toBe(1);
    expect(p.out()).toMatch(/otlpPort/);
  }, 40_000);
});

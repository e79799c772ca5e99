// Test harness for the reference proxy: the real fake LLM (in this process, real HTTP), the real proxy CLI
// as a child process (node:cluster workers, embedded aggregator), a config written to a temp dir, and a
// small Prometheus text parser for the assertions.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const REPO = resolve(import.meta.dirname, '../../..');
export const MAIN = join(REPO, 'src/cli/main.ts');

export function writeConfig(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lom-proxy-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** The metrics_export block every test uses: free aggregator ports, a short export interval. */
export function testExport(intervalMs = 500): Record<string, unknown> {
  return {
    aggregator_otlp_port: 0,
    aggregator_prometheus_port: 0,
    export_interval_millis: intervalMs,
  };
}

export interface ProxyProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** SIGTERM, then SIGKILL after `ms`; resolves with the exit code/signal. */
  stop(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `litellm-otel <args>` (via tsx); resolves when it exits. */
export function runCli(
  args: string[],
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts the proxy CLI with a config; resolves once it prints its URL. */
export async function startProxyProcess(
  configPath: string,
  numWorkers: number,
  env: NodeJS.ProcessEnv = {},
  startTimeoutMs = 45_000,
): Promise<ProxyProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      'proxy',
      '--config',
      configPath,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--num_workers',
      String(numWorkers),
    ],
    { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`proxy did not start within ${startTimeoutMs} ms:\n${out}`));
    }, startTimeoutMs);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(t);
      reject(new Error(`proxy exited before listening:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    async stop(ms = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), ms);
        const r = await exited;
        clearTimeout(t);
        return r;
      }
      return exited;
    },
  };
}

// ---------------------------------------------------------------- Prometheus text

// The parser, series keys and sums are shared with the end-to-end suites.
import { parseExposition, type Sample } from '../../support/exposition.js';
export { parseExposition, seriesKey, total } from '../../support/exposition.js';
export type { Sample } from '../../support/exposition.js';

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
  return parseExposition(await res.text());
}

/** Polls until `check` returns true or the time runs out; returns the last scrape. */
export async function scrapeUntil(
  url: string,
  check: (s: Sample[]) => boolean,
  timeoutMs = 20_000,
): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    last = await scrape(url);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

export interface ChatResult {
  status: number;
  body: unknown;
  /** For streams: the usage of the final chunk. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  chunks?: number;
}

/** A chat request through the proxy; streams are read to the end. */
export async function chat(
  url: string,
  key: string | undefined,
  body: Record<string, unknown>,
  timeoutMs = 30_000,
): Promise<ChatResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (body.stream === true && res.status === 200) {
    let usage: ChatResult['usage'];
    let chunks = 0;
    for (const ev of text.split('\n\n')) {
      const d = ev.replace(/^data:\s*/, '').trim();
      if (d === '' || d === '[DONE]') continue;
      chunks++;
      const j = JSON.parse(d) as { usage?: ChatResult['usage'] };
      if (j.usage) usage = j.usage;
    }
    return { status: res.status, body: text, usage, chunks };
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  const usage = (parsed as { usage?: ChatResult['usage'] })?.usage;
  return { status: res.status, body: parsed, usage };
}

/** Runs `n` tasks with at most `concurrency` at once. */
export async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

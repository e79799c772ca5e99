// A real Prometheus (Debian's /usr/bin/prometheus) for a test: a temp config scraping the given
// targets every second, TSDB in a temp dir, the web API on 127.0.0.1:<free port>. `stop()` ends it and
// removes the temp dir.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePorts } from './free-ports.js';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

export interface ScrapeTarget {
  job: string;
  /** Full metrics URL, e.g. http://127.0.0.1:1234/metrics. */
  url: string;
  /** Keep the target's own `job` label (the shipped deploy/prometheus/prometheus.yml does for the collector). */
  honorLabels?: boolean;
}

export interface QueryResult {
  metric: Record<string, string>;
  /** Instant vector: [time, value]. */
  value: [number, string];
}

export interface RunningPrometheus {
  readonly url: string;
  output(): string;
  /** Instant query at `time` (s since the epoch; default now). Throws on an API error. */
  query(expr: string, time?: number): Promise<QueryResult[]>;
  /** Waits until every target has been scraped successfully at least once. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startPrometheus(options: {
  targets: ScrapeTarget[];
  scrapeIntervalS?: number;
  readyTimeoutMs?: number;
}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'lom-e2e-prom-'));
  const interval = `${options.scrapeIntervalS ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    scrape_configs: options.targets.map((t) => {
      const u = new URL(t.url);
      return {
        job_name: t.job,
        honor_labels: t.honorLabels ?? false,
        metrics_path: u.pathname,
        static_configs: [{ targets: [u.host] }],
      };
    }),
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const [port] = (await freePorts(1)) as [number];
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      live.delete(child);
      r();
    }),
  );
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${PROMETHEUS_BINARY}: ${spawnError.message}`);
    if (child.exitCode !== null)
      throw new Error(`prometheus exited (${child.exitCode}) before ready:\n${out}`);
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready at ${url} in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const query = async (expr: string, time?: number): Promise<QueryResult[]> => {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set('time', String(time));
    const r = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const j = (await r.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: QueryResult[] };
    };
    if (j.status !== 'success' || !j.data) throw new Error(`query ${expr} failed: ${j.error ?? r.status}`);
    if (j.data.resultType !== 'vector')
      throw new Error(`query ${expr}: expected a vector, got ${j.data.resultType}`);
    return j.data.result;
  };

  return {
    url,
    output: () => out,
    query,
    async waitForTargetsUp(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const up = await query('up');
        if (up.length === options.targets.length && up.every((s) => s.value[1] === '1')) return;
        if (Date.now() > until) throw new Error(`targets not up in time: ${JSON.stringify(up)}\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    stop,
  };
}

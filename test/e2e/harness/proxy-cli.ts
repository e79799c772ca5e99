// The reference proxy as the user runs it: `node --import tsx src/cli/main.ts proxy --config <file>
// --host 127.0.0.1 --port 0 --num_workers N`, with the collector chosen through the standard OTel
// environment (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_METRIC_EXPORT_INTERVAL). The worker pids are
// read from /proc (children of the primary), so a test can SIGKILL one.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { repoRoot } from './collector-binary.js';

const MAIN = join(repoRoot, 'src', 'cli', 'main.ts');
const MAX_OUTPUT = 256 * 1024;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Writes a LiteLLM-shaped proxy config to a fresh temp dir; returns its path. */
export function writeProxyConfig(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lom-e2e-proxy-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

export interface ProxyCli {
  readonly url: string;
  readonly pid: number;
  output(): string;
  /** Pids of the primary's live child processes (the node:cluster workers). */
  workerPids(): number[];
  /** Waits until `n` workers run, none of them in `exclude`. */
  waitForWorkers(n: number, exclude?: readonly number[], timeoutMs?: number): Promise<number[]>;
  /** SIGTERM (workers finish and flush), SIGKILL after `ms`. Idempotent. */
  stop(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Live node:cluster workers among the children of `pid` (read from /proc, Linux). */
export function workerPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) {
        if (c !== '') out.push(Number(c));
      }
    } catch {
      // the thread ended
    }
  }
  return out.filter((p) => {
    try {
      // a zombie (killed, not yet reaped) is not a live worker; any other helper process is not one
      if (/\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'))) return false;
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('worker-main');
    } catch {
      return false;
    }
  });
}

/** Starts the proxy CLI; resolves once it prints its URL (all workers listen by then). */
export async function startProxyCli(options: {
  configPath: string;
  numWorkers: number;
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}): Promise<ProxyCli> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The caller decides where metrics go; nothing inherited from the test runner's environment.
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
  Object.assign(env, options.env ?? {});
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      'proxy',
      '--config',
      options.configPath,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--num_workers',
      String(options.numWorkers),
    ],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  let out = '';
  const append = (d: Buffer) => {
    out += d.toString();
    if (out.length > MAX_OUTPUT) out = out.slice(out.length - MAX_OUTPUT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      r({ code, signal });
    }),
  );
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const url = await new Promise<string>((resolveUrl, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`proxy did not start within ${startTimeoutMs} ms:\n${out}`));
    }, startTimeoutMs);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
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
  const pid = child.pid!;
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  return {
    url,
    pid,
    output: () => out,
    workerPids: () => workerPids(pid),
    async waitForWorkers(n, exclude = [], timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pids = workerPids(pid).filter((p) => !exclude.includes(p));
        if (pids.length >= n) return pids;
        if (Date.now() > deadline)
          throw new Error(`only ${pids.length} of ${n} workers after ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop(ms = 25_000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), ms);
          const r = await exited;
          clearTimeout(t);
          return r;
        }
        return exited;
      })();
      return stopping;
    },
  };
}

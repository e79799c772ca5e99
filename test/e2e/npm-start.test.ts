// `npm start`, as README's quick start runs it: the real command (tsc build, then `litellm-otel demo`:
// the fake LLM on 127.0.0.1:8090, the proxy with 4 workers on 127.0.0.1:4000, the embedded aggregator
// on 4318/8889) in its own process group, checked the way a user would check it:
// 1. it prints the URLs and the curl commands to try;
// 2. the printed chat-completions curl (same URL, headers and body, sent with fetch) is answered;
// 3. after an export interval the printed /metrics URL, and the embedded aggregator's Prometheus URL,
//    count exactly the requests sent and the non-200 answers;
// 4. Ctrl-C (SIGINT to the process group) stops everything within a bounded time and frees the ports.
// The demo's ports are fixed: if one is taken before the test starts, the test fails naming it.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape, scrapeUntil, total, type Sample } from '../support/exposition.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The fixed ports README's quick start documents (and the demo binds, all on 127.0.0.1). */
const DEMO_PORTS: Readonly<Record<string, number>> = {
  'fake LLM': 8090,
  proxy: 4000,
  'embedded aggregator OTLP': 4318,
  'embedded aggregator Prometheus': 8889,
};

interface ExampleConfig {
  model_list: { model_name: string }[];
  litellm_settings: { metrics_export: { export_interval_millis: number } };
  general_settings: { master_key: string };
}
const example = parseYaml(
  readFileSync(join(repoRoot, 'examples', 'proxy-config.yaml'), 'utf8'),
) as ExampleConfig;
const EXPORT_INTERVAL_MS = example.litellm_settings.metrics_export.export_interval_millis;

const REQUESTS = 20;
const CONCURRENCY = 4;
const BANNER_TIMEOUT_MS = 150_000; // tsc build + 4 workers starting, on a shared 2-core machine
const METRICS_TIMEOUT_MS = Math.max(30_000, 3 * EXPORT_INTERVAL_MS);
const STOP_TIMEOUT_MS = 30_000; // the primary gives a worker 20 s to finish before killing it
const MAX_OUTPUT = 512 * 1024;

const TOTAL = 'litellm_proxy_total_requests_metric_total';
const FAILED = 'litellm_proxy_failed_requests_metric_total';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- ports and processes

/** Why 127.0.0.1:port cannot be bound right now (e.g. `EADDRINUSE`), or undefined when it can. */
function bindError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Result of a TCP connect to 127.0.0.1:port: `refused`, `accepted`, or another error code. */
function connectResult(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'ECONNREFUSED' ? 'refused' : (e.code ?? e.message)),
    );
  });
}

/** Live (not zombie) processes of process group `pgid`, from /proc (Linux). */
function groupMembers(pgid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) !== pgid || state === 'Z') continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(entry), cmd });
    } catch {
      // the process ended while we read it
    }
  }
  return out;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}

// ---- the printed curl commands

interface CurlCommand {
  url: string;
  headers: Record<string, string>;
  data: string | undefined;
  /** Everything after the URL and the known flags (e.g. `| grep name`). */
  rest: string[];
  flags: string[];
}

/** Shell words of one command line: single- and double-quoted strings, or bare words. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!);
  return words;
}

/** The `curl` commands of the "Try:" block (continuation lines joined), parsed. */
function printedCurls(stdout: string): CurlCommand[] {
  const start = stdout.indexOf('\nTry:\n');
  if (start < 0) return [];
  const block = stdout.slice(start + '\nTry:\n'.length).split('\n\n')[0]!;
  const commands = block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('curl '));
  return commands.map((line) => {
    const words = shellWords(line).slice(1);
    const cmd: CurlCommand = { url: '', headers: {}, data: undefined, rest: [], flags: [] };
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w === '-H') {
        const h = words[++i] ?? '';
        const colon = h.indexOf(':');
        cmd.headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
      } else if (w === '-d') cmd.data = words[++i];
      else if (cmd.url === '' && /^https?:\/\//.test(w)) cmd.url = w;
      else if (cmd.url === '' && w.startsWith('-')) cmd.flags.push(w);
      else cmd.rest.push(w);
    }
    return cmd;
  });
}

// ---- the demo process

interface Demo {
  child: ChildProcess;
  pgid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

function output(d: Demo): string {
  return `--- stdout ---\n${d.stdout()}\n--- stderr ---\n${d.stderr()}`;
}

function startNpmStart(): Demo {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // What the user's shell would not set: a collector endpoint would replace the embedded aggregator.
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];
  delete env.FAKE_LLM_API_KEY;
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    env,
    detached: true, // its own process group (pgid = its pid), like a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const cap = (s: string) => (s.length > MAX_OUTPUT ? s.slice(s.length - MAX_OUTPUT) : s);
  child.stdout!.on('data', (d: Buffer) => (out = cap(out + d.toString())));
  child.stderr!.on('data', (d: Buffer) => (err = cap(err + d.toString())));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', (e) => {
      done = true;
      err += `\nspawn npm failed: ${e.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  return {
    child,
    pgid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => done,
  };
}

/** Resolves once `check(stdout)` holds; rejects with the captured output on exit or timeout. */
async function waitForOutput(d: Demo, check: (stdout: string) => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check(d.stdout())) return;
    if (d.hasExited()) {
      const { code, signal } = await d.exited;
      throw new Error(`npm start exited (${signal ?? `code ${code}`}) before ${what}\n${output(d)}`);
    }
    if (Date.now() >= deadline) throw new Error(`no ${what} within ${timeoutMs} ms\n${output(d)}`);
    await sleep(200);
  }
}

// ---- the test

interface Printed {
  fakeLlmUrl: string;
  proxyUrl: string;
  workers: number;
  proxyMetricsUrl: string;
  otlpUrl: string;
  aggregatorMetricsUrl: string;
  chat: CurlCommand;
  metricsCurl: CurlCommand;
  masterKey: string;
}

let demo: Demo | undefined;
let printed: Printed | undefined;
let sent: { ok: number; failed: number; byStatus: Map<number, number> } | undefined;

function need<T>(v: T | undefined, step: string): T {
  if (v === undefined) throw new Error(`an earlier step failed (${step}); see the first failure`);
  return v;
}

function killLeftovers(): void {
  if (demo && groupMembers(demo.pgid).length > 0) killGroup(demo.pgid, 'SIGKILL');
}

beforeAll(async () => {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(DEMO_PORTS)) {
    const e = await bindError(port);
    if (e !== undefined) taken.push(`${name} port ${port} (127.0.0.1:${port}: ${e})`);
  }
  if (taken.length > 0)
    throw new Error(
      `npm start needs fixed ports that are already in use on this machine: ${taken.join('; ')}. ` +
        'Stop whatever listens there (e.g. a demo still running) and run the test again.',
    );
  process.once('exit', killLeftovers); // even if vitest dies before afterAll
});

afterAll(async () => {
  if (!demo) return;
  const d = demo;
  if (groupMembers(d.pgid).length > 0) {
    killGroup(d.pgid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (groupMembers(d.pgid).length > 0 && Date.now() < deadline) await sleep(100);
  }
  process.removeListener('exit', killLeftovers);
}, 20_000);

describe('npm start (README quick start)', () => {
  it(
    'builds, starts the demo and prints the URLs and the curl commands to try',
    async () => {
      const d = (demo = startNpmStart());
      await waitForOutput(
        d,
        (s) => s.includes('litellm-otel demo is running') && s.includes('Ctrl-C stops everything.'),
        BANNER_TIMEOUT_MS,
        '"litellm-otel demo is running" banner',
      );
      const stdout = d.stdout();
      const line = (re: RegExp): RegExpExecArray => {
        const m = re.exec(stdout);
        if (!m) throw new Error(`stdout has no line matching ${re}\n${output(d)}`);
        return m;
      };
      const fake = line(/^ {2}fake LLM upstream +(\S+)/m);
      const proxy = line(/^ {2}proxy \((\d+) workers\) +(\S+)/m);
      const metrics = line(/^ {2}proxy \/metrics +(\S+)/m);
      const aggregator = line(/^ {2}embedded aggregator +OTLP (\S+) +Prometheus (\S+)/m);
      const curls = printedCurls(stdout);
      expect(curls, `two curl commands after "Try:"\n${output(d)}`).toHaveLength(2);
      const [chat, metricsCurl] = curls as [CurlCommand, CurlCommand];
      const auth = /^Bearer (\S+)$/.exec(chat.headers.Authorization ?? '');
      expect(auth, `chat curl has an "Authorization: Bearer <key>" header: ${JSON.stringify(chat)}`).not.toBe(
        null,
      );
      const p: Printed = {
        fakeLlmUrl: fake[1]!,
        workers: Number(proxy[1]),
        proxyUrl: proxy[2]!,
        proxyMetricsUrl: metrics[1]!,
        otlpUrl: aggregator[1]!,
        aggregatorMetricsUrl: aggregator[2]!,
        chat,
        metricsCurl,
        masterKey: auth![1]!,
      };

      // What README promises, on the ports the preflight checked.
      expect(p.fakeLlmUrl).toBe(`http://127.0.0.1:${DEMO_PORTS['fake LLM']}/v1`);
      expect(p.proxyUrl).toBe(`http://127.0.0.1:${DEMO_PORTS.proxy}`);
      expect(p.workers).toBe(4);
      expect(p.proxyMetricsUrl).toBe(`${p.proxyUrl}/metrics`);
      expect(p.otlpUrl).toBe(`http://127.0.0.1:${DEMO_PORTS['embedded aggregator OTLP']}/v1/metrics`);
      expect(p.aggregatorMetricsUrl).toBe(
        `http://127.0.0.1:${DEMO_PORTS['embedded aggregator Prometheus']}/metrics`,
      );
      // The chat curl: the proxy's route, the config's master key, JSON for the config's first model.
      expect(p.chat.url).toBe(`${p.proxyUrl}/v1/chat/completions`);
      expect(p.masterKey).toBe(example.general_settings.master_key);
      expect(p.chat.headers['Content-Type']).toBe('application/json');
      expect(p.chat.data, 'chat curl has a -d body').toBeDefined();
      expect(JSON.parse(p.chat.data!)).toEqual({
        model: example.model_list[0]!.model_name,
        messages: [{ role: 'user', content: 'Hello' }],
      });
      // The metrics curl: the printed /metrics URL, grepping the request counter.
      expect(p.metricsCurl.url).toBe(p.proxyMetricsUrl);
      expect(p.metricsCurl.rest).toEqual(['|', 'grep', TOTAL]);
      // The processes behind it: npm, sh, the primary and 4 node:cluster workers, one process group.
      const workers = groupMembers(d.pgid).filter((m) => m.cmd.includes('worker-main'));
      expect(
        workers.map((w) => w.cmd),
        'worker processes in the npm process group',
      ).toHaveLength(4);
      printed = p;
    },
    BANNER_TIMEOUT_MS + 30_000,
  );

  it(`the printed chat-completions curl is answered (${REQUESTS} requests)`, async () => {
    const p = need(printed, 'banner');
    const byStatus = new Map<number, number>();
    const problems: string[] = [];
    let next = 0;
    const one = async (): Promise<void> => {
      while (next < REQUESTS) {
        next++;
        // exactly the printed request: curl -d sends a POST with the -H headers and the -d body
        const res = await fetch(p.chat.url, {
          method: 'POST',
          headers: p.chat.headers,
          body: p.chat.data!,
          signal: AbortSignal.timeout(45_000),
        });
        const text = await res.text();
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          problems.push(`${res.status}: not JSON: ${text.slice(0, 200)}`);
          continue;
        }
        const b = body as {
          object?: unknown;
          choices?: { message?: { content?: unknown } }[];
          error?: { message?: unknown; code?: unknown };
        };
        if (res.status === 200) {
          if (b.object !== 'chat.completion' || typeof b.choices?.[0]?.message?.content !== 'string')
            problems.push(`200 without a chat completion: ${text.slice(0, 200)}`);
        } else if (typeof b.error?.message !== 'string' || b.error.code !== String(res.status)) {
          problems.push(`${res.status} without an OpenAI error body: ${text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, one));
    const ok = byStatus.get(200) ?? 0;
    const failed = REQUESTS - ok;
    const summary = JSON.stringify(Object.fromEntries(byStatus));
    expect(problems, `answer bodies (statuses ${summary})`).toEqual([]);
    expect([...byStatus.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    // 2% injected upstream failures (and a fallback model): most requests succeed, failures are counted
    expect(ok, `200 answers out of ${REQUESTS} (statuses ${summary})`).toBeGreaterThan(REQUESTS / 2);
    sent = { ok, failed, byStatus };
  }, 90_000);

  it(
    "after the export interval, /metrics and the aggregator's Prometheus URL count exactly what was sent",
    async () => {
      const p = need(printed, 'banner');
      const s = need(sent, 'requests');
      const counts = (x: Sample[]) => ({
        total: total(x, TOTAL),
        failed: total(x, FAILED),
        ok: total(x, TOTAL, { status_code: '200' }),
      });
      const expected = { total: REQUESTS, failed: s.failed, ok: s.ok };
      const first = await scrapeUntil(
        p.proxyMetricsUrl,
        (x) => total(x, TOTAL) >= REQUESTS,
        METRICS_TIMEOUT_MS,
        500,
      );
      expect(counts(first), `${p.proxyMetricsUrl} within ${METRICS_TIMEOUT_MS} ms`).toEqual(expected);
      // One more export interval: every worker has exported again, nothing counted late or twice.
      await sleep(EXPORT_INTERVAL_MS + 1_000);
      const proxyView = await scrape(p.proxyMetricsUrl);
      const aggregatorView = await scrape(p.aggregatorMetricsUrl);
      expect(counts(proxyView), `${p.proxyMetricsUrl} one interval later`).toEqual(expected);
      expect(counts(aggregatorView), p.aggregatorMetricsUrl).toEqual(expected);
      for (const [status, n] of s.byStatus) {
        if (status === 200) continue;
        expect(total(proxyView, FAILED, { exception_status: String(status) }), `failed ${status}`).toBe(n);
      }
    },
    METRICS_TIMEOUT_MS + EXPORT_INTERVAL_MS + 30_000,
  );

  it(
    'Ctrl-C (SIGINT to the process group) stops everything and frees the ports',
    async () => {
      const d = need(demo, 'start');
      need(printed, 'banner');
      const t0 = Date.now();
      killGroup(d.pgid, 'SIGINT');
      const exit = await Promise.race([d.exited, sleep(STOP_TIMEOUT_MS).then(() => undefined)]);
      expect(exit, `npm exits within ${STOP_TIMEOUT_MS} ms of SIGINT\n${output(d)}`).toBeDefined();
      let left = groupMembers(d.pgid);
      while (left.length > 0 && Date.now() - t0 < STOP_TIMEOUT_MS) {
        await sleep(100);
        left = groupMembers(d.pgid);
      }
      const elapsed = Date.now() - t0;
      expect(
        left.map((m) => `${m.pid} ${m.cmd}`),
        `processes of the group still alive ${elapsed} ms after SIGINT\n${output(d)}`,
      ).toEqual([]);
      // The primary handled it: a graceful stop, not a kill.
      expect(d.stdout()).toContain('SIGINT: stopping');
      expect(d.stderr()).not.toContain('shutdown failed');
      expect(d.stdout()).not.toMatch(/did not stop within/);
      for (const [name, port] of Object.entries(DEMO_PORTS)) {
        expect(await connectResult(port), `${name} port ${port} after Ctrl-C`).toBe('refused');
      }
      console.log(
        `npm start stopped ${elapsed} ms after SIGINT (npm exit: ${exit!.signal ?? `code ${exit!.code}`})`,
      );
    },
    STOP_TIMEOUT_MS + 20_000,
  );
});

// Proxy throughput with metrics on and off: 4 workers, the fake upstream without latency in its own
// process, autocannon as the load generator. Runs alternate on/off; the result is the median of each.
//
//   node --import tsx bench/proxy/throughput.ts [--runs 3] [--duration 10] [--connections 64]
//
// Writes bench/proxy/results.json. "on" = the full pipeline (recorder, plugin, OTLP export every 10 s to
// the embedded aggregator in the primary); "off" = `metrics_export.enabled: false` (no recorder, no plugin).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { stringify } from 'yaml';

const REPO = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    workers: { type: 'string', default: '4' },
  },
});
const RUNS = Number(values.runs);
const DURATION = Number(values.duration);
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const WORKERS = Number(values.workers);

function startChild(
  args: string[],
  readyPattern: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`not ready in 60 s: ${args.join(' ')}\n${out}`)), 60_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(t);
        res({ child, match: m });
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => rej(new Error(`exited ${code}: ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGTERM');
  });
}

function config(fakeUrl: string, enabled: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'lom-bench-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    stringify({
      model_list: [
        {
          model_name: 'gpt-4o',
          litellm_params: {
            model: 'openai/gpt-4o',
            api_base: fakeUrl,
            input_cost_per_token: 0.0000025,
            output_cost_per_token: 0.00001,
          },
        },
      ],
      litellm_settings: {
        metrics_export: { enabled, aggregator_otlp_port: 0, aggregator_prometheus_port: 0 },
      },
      general_settings: { master_key: 'sk-bench' },
    }),
  );
  return file;
}

async function load(url: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hello, how are you?' }],
      max_tokens: 16,
    }),
    connections: CONNECTIONS,
    duration: seconds,
  });
}

/** CPU seconds (user + system) of a process and all its descendants, from /proc (Linux). */
function treeCpuSeconds(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const raw = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone
    }
  }
  let ticks = 0;
  for (const [pid, st] of stats) {
    let p = pid;
    for (let depth = 0; depth < 10 && p > 1; depth++) {
      if (p === root) {
        ticks += st.ticks;
        break;
      }
      p = stats.get(p)?.ppid ?? 0;
    }
  }
  return ticks / 100; // USER_HZ
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const fake = await startChild(['bench/proxy/fake-llm-process.ts'], /FAKE_LLM_URL (\S+)/);
const fakeUrl = fake.match[1]!;
const runs: {
  mode: 'on' | 'off';
  run: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpuMsPerRequest: number;
  loadAvg1m: number;
}[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    for (const mode of run % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const proxy = await startChild(
        [
          'src/cli/main.ts',
          'proxy',
          '--config',
          config(fakeUrl, mode === 'on'),
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--num_workers',
          String(WORKERS),
        ],
        /listening on (http:\/\/\S+)/,
      );
      const url = proxy.match[1]!;
      try {
        await load(url, WARMUP);
        const cpu0 = treeCpuSeconds(proxy.child.pid!);
        const load0 = loadavg()[0]!;
        const r = await load(url, DURATION);
        const cpu = treeCpuSeconds(proxy.child.pid!) - cpu0;
        const cpuMsPerRequest = (cpu * 1000) / Math.max(1, r.requests.total);
        runs.push({
          mode,
          run,
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: r.errors,
          non2xx: r.non2xx,
          cpuMsPerRequest,
          loadAvg1m: load0,
        });
        process.stdout.write(
          `run ${run} metrics ${mode}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}, proxy CPU ${cpuMsPerRequest.toFixed(3)} ms/request, load ${load0.toFixed(1)}\n`,
        );
      } finally {
        await stop(proxy.child);
      }
    }
  }
} finally {
  await stop(fake.child);
}

const on = median(runs.filter((r) => r.mode === 'on').map((r) => r.rps));
const off = median(runs.filter((r) => r.mode === 'off').map((r) => r.rps));
const cpuOn = median(runs.filter((r) => r.mode === 'on').map((r) => r.cpuMsPerRequest));
const cpuOff = median(runs.filter((r) => r.mode === 'off').map((r) => r.cpuMsPerRequest));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  workers: WORKERS,
  connections: CONNECTIONS,
  durationSeconds: DURATION,
  warmupSeconds: WARMUP,
  runs,
  medianRpsMetricsOn: on,
  medianRpsMetricsOff: off,
  throughputChangePercent: ((on - off) / off) * 100,
  medianCpuMsPerRequestOn: cpuOn,
  medianCpuMsPerRequestOff: cpuOff,
  cpuPerRequestChangePercent: ((cpuOn - cpuOff) / cpuOff) * 100,
};
writeFileSync(join(REPO, 'bench/proxy/results.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `median req/s: metrics on ${on.toFixed(0)}, off ${off.toFixed(0)} -> ${result.throughputChangePercent.toFixed(1)}% with metrics on; proxy CPU per request ${cpuOn.toFixed(3)} vs ${cpuOff.toFixed(3)} ms (${result.cpuPerRequestChangePercent.toFixed(1)}%)\n`,
);

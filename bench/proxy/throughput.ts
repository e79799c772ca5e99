// Proxy throughput with metrics on and off: 4 workers, the fake upstream without latency in its own
// process, autocannon as the load generator. The benchmark runs in rounds: each round starts fresh
// proxies (on, off and a second off, the control), warms them, measures its share of the pairs, and
// stops them. One proxy instance differs from another of the same code by a few % of CPU per request
// (what V8 happens to optimize how): fresh instances per round keep one draw from deciding the result.
// Each round's proxies are measured two ways:
// - alternating: load phases take turns between "on" and "off" (ABBA); per adjacent pair, the ratio of
//   their throughputs. Each proxy has the machine to itself during its phase, but the machine's noise
//   (other tenants, CPU frequency) differs between the two phases of a pair.
// - simultaneous: two proxies are loaded at the same time for the same seconds, each by its own
//   autocannon; both are CPU-bound on the same cores, so the ratio of their throughputs is the inverse
//   ratio of their CPU cost per request, and noise hits both alike. The pairs cycle through on || off,
//   control || off (A/A: the method's own bias and spread) and on || control, so each proxy is loaded
//   in two of every three pairs and idle in one (a proxy loaded more often than another is warmer and
//   faster: with "off" in every pair, the first version of the rounds showed the control 4 % slower
//   than "off"); which autocannon starts first alternates.
// The result of each is the median over its pairs, all rounds pooled; the rounds' own medians are
// reported too.
//
//   node --import tsx bench/proxy/throughput.ts [--rounds 4] [--runs 16] [--sim-runs 20] [--duration 5] [--warmup 3] [--connections 64]
//
// --runs and --sim-runs are totals, split evenly over the rounds (--runs: an even number per round).
//
// --warmup is the length of one warm-up load; each proxy gets 4 of them, in turns, before measuring.
//
// Writes bench/proxy/results.json. "on" = the full pipeline (recorder, plugin, OTLP export every 10 s to
// the embedded aggregator in the primary); "off" = `metrics_export.enabled: false` (no recorder, no plugin).

import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchConfig, load, REPO, startChild, stop } from './harness.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    runs: { type: 'string', default: '16' },
    'sim-runs': { type: 'string', default: '20' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    workers: { type: 'string', default: '4' },
  },
});
const ROUNDS = Number(values.rounds);
const RUNS = Number(values.runs);
const SIM_RUNS = Number(values['sim-runs']);
if (!(ROUNDS >= 1) || SIM_RUNS % ROUNDS !== 0 || RUNS % (2 * ROUNDS) !== 0) {
  throw new Error(
    `--sim-runs (${SIM_RUNS}) must be a multiple of --rounds (${ROUNDS}) and --runs (${RUNS}) a multiple of 2 × --rounds`,
  );
}
const DURATION = Number(values.duration);
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const WORKERS = Number(values.workers);

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

// The proxy runs as users run it: the compiled package (dist/), built here from the current sources.
execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
const fake = await startChild(['bench/proxy/fake-llm-process.ts'], /FAKE_LLM_URL (\S+)/);
const fakeUrl = fake.match[1]!;
type Mode = 'on' | 'off';
const runs: {
  mode: Mode;
  round: number;
  run: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpuMsPerRequest: number;
  loadAvg1m: number;
}[] = [];
type Who = Mode | 'control';
const simultaneous: {
  a: Who;
  b: Who;
  round: number;
  run: number;
  rpsA: number;
  rpsB: number;
  cpuMsPerRequestA: number;
  cpuMsPerRequestB: number;
  errors: number;
  non2xx: number;
}[] = [];
type Proxies = Record<Who, { child: ChildProcess; url: string }>;

async function startProxies(round: number): Promise<Proxies> {
  const started: Partial<Proxies> = {};
  // start order rotates with the round (no proxy is always the first to start)
  const order = (['on', 'off', 'control'] as const).map((_, i, all) => all[(i + round) % all.length]!);
  try {
    for (const mode of order) {
      const p = await startChild(
        [
          'dist/cli/main.js',
          'proxy',
          '--config',
          benchConfig(fakeUrl, mode === 'on'), // control: a second proxy with metrics off
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--num_workers',
          String(WORKERS),
        ],
        /listening on (http:\/\/\S+)/,
      );
      started[mode] = { child: p.child, url: p.match[1]! };
    }
  } catch (e) {
    await Promise.all(Object.values(started).map((p) => stop(p.child)));
    throw e;
  }
  return started as Proxies;
}

let current: Proxies | undefined;
try {
  for (let round = 0; round < ROUNDS; round++) {
    const proxies = (current = await startProxies(round));
    // V8 keeps optimizing a proxy for a minute or more of load: warm each one well before measuring.
    for (let w = 0; w < 4; w++)
      for (const mode of ['on', 'off', 'control'] as const)
        await load(proxies[mode].url, WARMUP, CONNECTIONS);
    // Simultaneous pairs first, while the three proxies are equally warm. Each cycle loads the three
    // pairs in a rotating order; each proxy is in two of them.
    const kinds = [
      ['on', 'off'],
      ['control', 'off'],
      ['on', 'control'],
    ] as const;
    for (let k = 0; k < SIM_RUNS / ROUNDS; k++) {
      const run = round * (SIM_RUNS / ROUNDS) + k;
      for (let j = 0; j < kinds.length; j++) {
        const [a, b] = kinds[(j + run) % kinds.length]!;
        const pa = proxies[a];
        const pb = proxies[b];
        const cpuA0 = treeCpuSeconds(pa.child.pid!);
        const cpuB0 = treeCpuSeconds(pb.child.pid!);
        const aFirst = (run * kinds.length + j) % 2 === 0;
        const [ra, rb] = aFirst
          ? await Promise.all([load(pa.url, DURATION, CONNECTIONS), load(pb.url, DURATION, CONNECTIONS)])
          : await Promise.all([
              load(pb.url, DURATION, CONNECTIONS),
              load(pa.url, DURATION, CONNECTIONS),
            ]).then(([y, x]) => [x, y] as const);
        const cpuA = treeCpuSeconds(pa.child.pid!) - cpuA0;
        const cpuB = treeCpuSeconds(pb.child.pid!) - cpuB0;
        const pair = {
          a,
          b,
          round,
          run,
          rpsA: ra.requests.total / DURATION,
          rpsB: rb.requests.total / DURATION,
          cpuMsPerRequestA: (cpuA * 1000) / Math.max(1, ra.requests.total),
          cpuMsPerRequestB: (cpuB * 1000) / Math.max(1, rb.requests.total),
          errors: ra.errors + rb.errors,
          non2xx: ra.non2xx + rb.non2xx,
        };
        simultaneous.push(pair);
        process.stdout.write(
          `round ${round} simultaneous ${run} ${a} vs ${b}: ${pair.rpsA.toFixed(0)} vs ${pair.rpsB.toFixed(0)} req/s (${(pair.rpsA / pair.rpsB).toFixed(3)}), CPU ${pair.cpuMsPerRequestA.toFixed(3)} vs ${pair.cpuMsPerRequestB.toFixed(3)} ms/request, errors ${pair.errors}, non-2xx ${pair.non2xx}\n`,
        );
      }
    }
    // Alternating pairs (ABBA): on and off alone on the machine in turns.
    for (let k = 0; k < RUNS / ROUNDS; k++) {
      const run = round * (RUNS / ROUNDS) + k;
      for (const mode of run % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const { child, url } = proxies[mode];
        const cpu0 = treeCpuSeconds(child.pid!);
        const load0 = loadavg()[0]!;
        const r = await load(url, DURATION, CONNECTIONS);
        const cpu = treeCpuSeconds(child.pid!) - cpu0;
        const cpuMsPerRequest = (cpu * 1000) / Math.max(1, r.requests.total);
        runs.push({
          mode,
          round,
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
          `round ${round} run ${run} metrics ${mode}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}, proxy CPU ${cpuMsPerRequest.toFixed(3)} ms/request, load ${load0.toFixed(1)}\n`,
        );
      }
    }
    await Promise.all(Object.values(proxies).map((p) => stop(p.child)));
    current = undefined;
  }
} finally {
  await Promise.all([...Object.values(current ?? {}).map((p) => stop(p.child)), stop(fake.child)]);
}

const of = (mode: Mode, run: number) => runs.find((r) => r.mode === mode && r.run === run)!;
const pairs = Array.from({ length: RUNS }, (_, run) => ({
  throughput: of('on', run).rps / of('off', run).rps,
  cpu: of('on', run).cpuMsPerRequest / of('off', run).cpuMsPerRequest,
}));
const on = median(runs.filter((r) => r.mode === 'on').map((r) => r.rps));
const off = median(runs.filter((r) => r.mode === 'off').map((r) => r.rps));
const cpuOn = median(runs.filter((r) => r.mode === 'on').map((r) => r.cpuMsPerRequest));
const cpuOff = median(runs.filter((r) => r.mode === 'off').map((r) => r.cpuMsPerRequest));
const pairedThroughput = median(pairs.map((p) => p.throughput));
const pairedCpu = median(pairs.map((p) => p.cpu));
const simOf = (a: Who, b: Who) => simultaneous.filter((p) => p.a === a && p.b === b);
const ratios = (a: Who, b: Who, round?: number) =>
  simOf(a, b)
    .filter((p) => round === undefined || p.round === round)
    .map((p) => p.rpsA / p.rpsB);
const simRatio = median(ratios('on', 'off'));
const simCpu = median(simOf('on', 'off').map((p) => p.cpuMsPerRequestA / p.cpuMsPerRequestB));
const controlRatios = ratios('control', 'off');
const controlRatio = median(controlRatios);
const onVsControl = median(ratios('on', 'control'));
const perRound = (a: Who, b: Who) =>
  Array.from({ length: ROUNDS }, (_, round) => median(ratios(a, b, round)));
const q = (xs: number[], f: number) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) * f)]!;
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  workers: WORKERS,
  connections: CONNECTIONS,
  durationSeconds: DURATION,
  warmupSeconds: WARMUP,
  rounds: ROUNDS,
  simRuns: SIM_RUNS,
  runs,
  pairs,
  simultaneous,
  medianRpsMetricsOn: on,
  medianRpsMetricsOff: off,
  /** Alternating: median over adjacent on/off pairs of (on req/s) / (off req/s), as a change. */
  throughputChangePercent: (pairedThroughput - 1) * 100,
  /** Simultaneous: median over pairs of (on req/s) / (off req/s) under the same load at the same time. */
  simultaneousThroughputChangePercent: (simRatio - 1) * 100,
  simultaneousCpuPerRequestChangePercent: (simCpu - 1) * 100,
  /** The control (off vs off, same method): the method's bias, and its pairs' interquartile range. */
  controlThroughputChangePercent: (controlRatio - 1) * 100,
  controlInterquartilePercent: [(q(controlRatios, 0.25) - 1) * 100, (q(controlRatios, 0.75) - 1) * 100],
  /** On vs the control (the second off proxy), same method: a second estimate of on vs off. */
  simultaneousVsControlChangePercent: (onVsControl - 1) * 100,
  /** Per round (fresh proxies): the median simultaneous change of on vs off, and of the control. */
  roundSimultaneousChangePercent: perRound('on', 'off').map((r) => (r - 1) * 100),
  roundControlChangePercent: perRound('control', 'off').map((r) => (r - 1) * 100),
  medianCpuMsPerRequestOn: cpuOn,
  medianCpuMsPerRequestOff: cpuOff,
  cpuPerRequestChangePercent: (pairedCpu - 1) * 100,
  target: 'throughput with metrics on >= 95 % of off',
  /** Judged on the simultaneous method (the one whose control is tight), without correcting for the control. */
  met: simRatio >= 0.95,
};
writeFileSync(join(REPO, 'bench/proxy/results.json'), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `simultaneous, median of ${SIM_RUNS} on/off pairs over ${ROUNDS} rounds of fresh proxies: throughput ${result.simultaneousThroughputChangePercent.toFixed(1)}% with metrics on, proxy CPU per request ${result.simultaneousCpuPerRequestChangePercent.toFixed(1)}%; control (off vs off) ${result.controlThroughputChangePercent.toFixed(1)}% (IQR ${result.controlInterquartilePercent.map((x) => x.toFixed(1)).join('..')}%); on vs control ${result.simultaneousVsControlChangePercent.toFixed(1)}%; per round: on ${result.roundSimultaneousChangePercent.map((x) => x.toFixed(1)).join(', ')}%, control ${result.roundControlChangePercent.map((x) => x.toFixed(1)).join(', ')}%\n`,
);
process.stdout.write(
  `alternating, median of ${RUNS} adjacent on/off pairs: throughput ${result.throughputChangePercent.toFixed(1)}% with metrics on, proxy CPU per request ${result.cpuPerRequestChangePercent.toFixed(1)}% (medians: ${on.toFixed(0)} vs ${off.toFixed(0)} req/s, ${cpuOn.toFixed(3)} vs ${cpuOff.toFixed(3)} ms)\n`,
);

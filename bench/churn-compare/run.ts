// Memory under end-user churn, 1,000,000 distinct end users, side by side in one run:
//   ours          the full metric set with the end-user admission limiter, delta (ours-child.ts)
//   prom-client   the end_user families as prom-client Counters/Histograms, no removal (LiteLLM's
//                 behaviour before its cap), until the end or V8's heap limit (promclient-child.ts)
//   python-capped prometheus_client with LiteLLM's cap (PR #27272): at most CAP series per metric,
//                 the oldest removed with .remove(*labels) (bench/python/churn_evict.py)
// RSS at 100k/250k/500k/750k/1M users, and the sum of litellm_proxy_total_requests_metric_total
// after the run against the number of requests recorded.
//
//   node --import tsx bench/churn-compare/run.ts [--users 1000000] [--runs 3] [--baseline-runs 1] [--cap 10000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median, runChildLines } from '../lib.js';
import { ensureVenvPython, prometheusClientVersion, pythonDir } from '../python/venv.js';
import { endUserFamilies } from './families.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
}
const USERS = arg('--users', 1_000_000);
const RUNS = arg('--runs', 3);
const BASELINE_RUNS = arg('--baseline-runs', 1);
const CAP = arg('--cap', 10_000);
const COUNTER = 'litellm_proxy_total_requests_metric_total';

interface Checkpoint {
  users: number;
  rssMiB: number;
  heapUsedMiB?: number;
  seriesHeld?: number;
  evicted?: number;
}
interface Run {
  checkpoints: Checkpoint[];
  start?: Record<string, unknown>;
  final?: Record<string, unknown>;
  died?: string;
}

function collect(
  lines: unknown[],
  status: number | null,
  signal: string | null,
  oom: boolean,
  tail: string,
): Run {
  const run: Run = { checkpoints: [] };
  for (const l of lines as Record<string, unknown>[]) {
    if (l.checkpoint) run.checkpoints.push(l.checkpoint as Checkpoint);
    if (l.start) run.start = l;
    if (l.final) run.final = l;
  }
  if (status !== 0)
    run.died = oom ? 'JavaScript heap out of memory' : `exit ${status ?? signal}: ${tail.slice(-300)}`;
  return run;
}

function node(script: string, args: string[]): Run {
  const r = runChildLines(fileURLToPath(new URL(script, import.meta.url)), args, ['--expose-gc']);
  return collect(r.lines, r.status, r.signal, r.outOfMemory, r.stderrTail);
}

/** Runs in the background (Python is single-threaded; the node runs use the other core). */
function python(py: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(py, [join(pythonDir, 'churn_evict.py'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 1_800_000);
    child.once('exit', (status, signal) => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as unknown);
      resolve(collect(lines, status, signal, /MemoryError/.test(err), err));
    });
  });
}

function summarize(runs: Run[]) {
  const byUsers = new Map<number, Checkpoint[]>();
  for (const r of runs)
    for (const c of r.checkpoints) byUsers.set(c.users, [...(byUsers.get(c.users) ?? []), c]);
  return {
    runs: runs.length,
    died: runs.map((r) => r.died ?? null),
    seconds: runs.map((r) => (r.final?.seconds as number | undefined) ?? null),
    reachedUsers: Math.max(0, ...runs.map((r) => r.checkpoints.at(-1)?.users ?? 0)),
    checkpoints: [...byUsers].map(([users, cs]) => ({
      users,
      medianRssMiB: median(cs.map((c) => c.rssMiB)),
      ...(cs[0]!.heapUsedMiB !== undefined
        ? { medianHeapUsedMiB: median(cs.map((c) => c.heapUsedMiB!)) }
        : {}),
      ...(cs[0]!.seriesHeld !== undefined ? { seriesHeld: cs[0]!.seriesHeld } : {}),
      ...(cs[0]!.evicted !== undefined ? { evicted: cs[0]!.evicted } : {}),
    })),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'issue8-churn-'));
try {
  const families = await endUserFamilies();
  const specPath = join(dir, 'families.json');
  writeFileSync(specPath, JSON.stringify({ families }));
  const py = ensureVenvPython();

  const ours: Run[] = [];
  const prom: Run[] = [];
  const capped: Run[] = [];
  for (let i = 0; i < Math.max(RUNS, BASELINE_RUNS); i++) {
    // The Python run (the slowest) goes on beside the node runs of the same round.
    const pyRun = i < BASELINE_RUNS ? python(py, [specPath, String(USERS), String(CAP)]) : undefined;
    if (i < RUNS) {
      console.error(`ours run ${i + 1}/${RUNS}`);
      ours.push(node('./ours-child.ts', [String(USERS)]));
    }
    if (i < BASELINE_RUNS) {
      console.error(`prom-client run ${i + 1}/${BASELINE_RUNS}`);
      prom.push(node('./promclient-child.ts', [specPath, String(USERS)]));
      console.error(`prometheus_client capped run ${i + 1}/${BASELINE_RUNS} (waiting)`);
      capped.push(await pyRun!);
    }
  }

  const sumOf = (r: Run | undefined, name: string): number | null =>
    (r?.final?.sums as Record<string, number> | undefined)?.[name] ?? null;
  const oursSum = sumOf(ours[0], COUNTER);
  const pySum = sumOf(capped[0], COUNTER);
  const oursS = summarize(ours);
  const last = (s: ReturnType<typeof summarize>) => s.checkpoints.at(-1);
  const growth = (last(oursS)?.medianRssMiB ?? NaN) - (oursS.checkpoints[0]?.medianRssMiB ?? NaN);
  const result = {
    benchmark: 'issue8-churn-memory',
    machine: machine(),
    versions: {
      'prom-client': JSON.parse(
        readFileSync(new URL('../../node_modules/prom-client/package.json', import.meta.url), 'utf8'),
      ).version as string,
      prometheus_client: prometheusClientVersion(py),
      python: spawnSync(py, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    },
    users: USERS,
    families: families.map((f) => `${f.type} ${f.name}`),
    systems: {
      ours: {
        what: 'full metric set, setupMetrics({track_end_user}) with the end-user admission limiter (10,000 slots, overflow value __overflow__), delta, export every 10,000 events',
        ...oursS,
        admission: ours[0]?.final?.admission ?? null,
      },
      'prom-client-no-removal': {
        what: `the ${families.length} end_user families as prom-client metrics, every end user a series that is never removed (LiteLLM before PR #27272)`,
        heapLimitMiB: prom[0]?.start?.heapLimitMiB ?? null,
        ...summarize(prom),
      },
      'prometheus_client-capped': {
        what: `the ${families.length} end_user families in prometheus_client, at most ${CAP} series per metric, oldest removed with .remove(*labels) (LiteLLM PR #27272 semantics; TTL off)`,
        cap: CAP,
        ...summarize(capped),
      },
    },
    sumAfterRun: {
      metric: COUNTER,
      recorded: USERS,
      ours: oursSum,
      oursOverflowShare: (ours[0]?.final?.overflowShare as number | undefined) ?? null,
      'prometheus_client-capped': pySum,
      'prometheus_client-capped-lost': pySum === null ? null : USERS - pySum,
      'prom-client-no-removal': sumOf(prom[0], COUNTER),
    },
    target: 'ours flat (RSS growth 100k -> 1M users under 50 MiB) and sum() equal to the requests recorded',
    oursRssGrowthMiB_100k_to_last: growth,
    met: growth < 50 && last(oursS)?.users === USERS && oursSum === USERS,
  };
  const line = JSON.stringify(result);
  writeFileSync(fileURLToPath(new URL('../results/issue8-churn.json', import.meta.url)), `${line}\n`);
  console.log(line);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Worker memory while N distinct end users flow through the full metric set, one success event each,
// with an export (collect) every interval. Prints RSS at checkpoints as JSON.
//
//   node --expose-gc --import tsx bench/cardinality/child.ts <limiter|no-limiter> <delta|cumulative> [users=1000000]
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { setupMetrics } from '../../src/record/setup.js';
import { successEvent } from '../record/variants.js';

const mode = process.argv[2] ?? 'limiter';
const temporality =
  process.argv[3] === 'cumulative' ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA;
const users = Number(process.argv[4] ?? 1_000_000);
const eventsPerInterval = 10_000;
const rssCeiling = 8 * 2 ** 30;

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

// "no-limiter": end_user carries the real value with no admission limiter in front of it.
const setup = setupMetrics({ settings: { track_end_user: true }, endUserAdmission: mode === 'limiter' });
const reader = new Reader();
const provider = new MeterProvider({ views: setup.views, readers: [reader] });
const recorder = setup.createRecorder(provider);

const gc = (globalThis as { gc?: () => void }).gc;
const mib = () => {
  gc?.();
  return Math.round(process.memoryUsage().rss / 2 ** 20);
};
const checkpoints = new Set([100_000, 250_000, 500_000, 750_000, 1_000_000, users]);
const out: { users: number; rssMiB: number; heapUsedMiB: number; pointsLastExport: number }[] = [];
const base = mib();
let points = 0;
const t0 = Date.now();
for (let i = 1; i <= users; i++) {
  const e = successEvent(i);
  e.endUser = `end-user-${i}`;
  recorder.recordSuccess(e);
  if (i % eventsPerInterval === 0) {
    const { resourceMetrics } = await reader.collect();
    points = resourceMetrics.scopeMetrics.reduce(
      (s, sm) => s + sm.metrics.reduce((a, m) => a + m.dataPoints.length, 0),
      0,
    );
  }
  if (checkpoints.has(i)) {
    const c = {
      users: i,
      rssMiB: mib(),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      pointsLastExport: points,
    };
    out.push(c);
    // one line per checkpoint, so a run that dies of memory still reports how far it got
    console.log(JSON.stringify({ checkpoint: c }));
    if (process.memoryUsage().rss > rssCeiling) break;
  }
}
console.log(
  JSON.stringify({
    mode,
    temporality: temporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative',
    baselineRssMiB: base,
    checkpoints: out,
    seconds: (Date.now() - t0) / 1000,
    admission: setup.endUserAdmission?.stats,
  }),
);
await provider.shutdown();

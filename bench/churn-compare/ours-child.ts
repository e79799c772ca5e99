// Ours under end-user churn: the loop of bench/cardinality/child.ts (`limiter delta`: the full
// metric set through setupMetrics with track_end_user and the end-user admission limiter, delta
// temporality, one successEvent per distinct end user, a collect = export every 10,000 events,
// RSS after a forced GC at checkpoints), plus what an endpoint fed by these exports would show:
// the sum of every exported delta of litellm_proxy_total_requests_metric_total (the aggregator and
// the collector add deltas, so this is the value of sum() on the merged endpoint).
//
//   node --expose-gc --import tsx bench/churn-compare/ours-child.ts [users=1000000]
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { setupMetrics } from '../../src/record/setup.js';
import { successEvent } from '../record/variants.js';

const users = Number(process.argv[2] ?? 1_000_000);
const eventsPerInterval = 10_000;
const COUNTER = 'litellm_proxy_total_requests_metric_total';

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const setup = setupMetrics({ settings: { track_end_user: true }, endUserAdmission: true });
const reader = new Reader();
const provider = new MeterProvider({ views: setup.views, readers: [reader] });
const recorder = setup.createRecorder(provider);

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (): number => {
  gc?.();
  return Math.round(process.memoryUsage().rss / 2 ** 20);
};

let exportedSum = 0;
let overflowSum = 0;
let seriesLastExport = 0;
async function exportOnce(): Promise<void> {
  const { resourceMetrics } = await reader.collect();
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) {
      if (m.descriptor.name !== COUNTER) continue;
      seriesLastExport = m.dataPoints.length;
      for (const p of m.dataPoints) {
        exportedSum += p.value as number;
        if (p.attributes.end_user === setup.endUserAdmission?.overflowValue) overflowSum += p.value as number;
      }
    }
  }
}

const checkpoints = new Set([100_000, 250_000, 500_000, 750_000, 1_000_000, users]);
const base = mib();
console.log(JSON.stringify({ start: true, baselineRssMiB: base }));
const t0 = Date.now();
for (let i = 1; i <= users; i++) {
  const e = successEvent(i);
  e.endUser = `end-user-${i}`;
  recorder.recordSuccess(e);
  if (i % eventsPerInterval === 0) await exportOnce();
  if (checkpoints.has(i)) {
    const c = { users: i, rssMiB: mib(), heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20) };
    console.log(JSON.stringify({ checkpoint: c, seconds: (Date.now() - t0) / 1000 }));
  }
}
await exportOnce();
console.log(
  JSON.stringify({
    final: true,
    users,
    seconds: (Date.now() - t0) / 1000,
    sums: { [COUNTER]: exportedSum },
    overflowShare: overflowSum,
    counterSeriesLastExport: seriesLastExport,
    admission: setup.endUserAdmission?.stats,
  }),
);
await provider.shutdown();

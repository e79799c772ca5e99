// prom-client under end-user churn, as LiteLLM's Prometheus logger behaves without a cap: one
// Counter/Histogram per family that a success writes with end_user (families.ts), every distinct
// end user a new child series that is never removed. RSS after a forced GC at checkpoints until
// the run ends or V8 stops it at its heap limit (the last checkpoint printed is how far it got).
//
//   node --expose-gc --import tsx bench/churn-compare/promclient-child.ts SPEC.json [users=1000000]
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import client from 'prom-client';
import type { EndUserFamily } from './families.js';

const spec = (JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { families: EndUserFamily[] }).families;
const users = Number(process.argv[3] ?? 1_000_000);
const registry = new client.Registry();

type Write = (labels: Record<string, string>) => void;
const writes: { labels: Record<string, string>; write: Write }[] = spec.map((f) => {
  const labels = { ...f.labelValues };
  if (f.type === 'counter') {
    const c = new client.Counter({
      name: f.instrumentName,
      help: f.help,
      labelNames: f.labels,
      registers: [registry],
    });
    return { labels, write: (l) => c.inc(l, f.value) };
  }
  const h = new client.Histogram({
    name: f.instrumentName,
    help: f.help,
    labelNames: f.labels,
    buckets: f.buckets ?? [],
    registers: [registry],
  });
  return { labels, write: (l) => h.observe(l, f.value) };
});

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (): number => {
  gc?.();
  return Math.round(process.memoryUsage().rss / 2 ** 20);
};
const checkpoints = new Set([50_000, 100_000, 150_000, 200_000, 250_000, 500_000, 750_000, 1_000_000, users]);
console.log(
  JSON.stringify({
    start: true,
    baselineRssMiB: mib(),
    heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    families: writes.length,
  }),
);
const t0 = Date.now();
for (let i = 1; i <= users; i++) {
  const endUser = `end-user-${i}`;
  for (const w of writes) {
    w.labels.end_user = endUser;
    w.write(w.labels);
  }
  if (checkpoints.has(i)) {
    const c = {
      users: i,
      rssMiB: mib(),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      seriesHeld: i * writes.length,
    };
    console.log(JSON.stringify({ checkpoint: c, seconds: (Date.now() - t0) / 1000 }));
  }
}
const sums: Record<string, number> = {};
for (const m of await registry.getMetricsAsJSON()) {
  for (const v of m.values) {
    const name = (v as { metricName?: string }).metricName ?? m.name;
    if (name.endsWith('_total') || name.endsWith('_count')) sums[name] = (sums[name] ?? 0) + v.value;
  }
}
console.log(JSON.stringify({ final: true, users, seconds: (Date.now() - t0) / 1000, sums }));

/** Deterministic synthetic events, so a test can compute the exact totals the workers recorded. */

export const LATENCY_BOUNDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
export const MODELS = ['gpt-4o', 'claude-3-5-sonnet', 'we"ird\\model\nname'];

export interface WorkerEvent {
  model: string;
  status: string;
  latency: number;
  tokens: number;
}

export function workerEvent(worker: number, i: number): WorkerEvent {
  const k = worker * 7919 + i * 104729;
  return {
    model: MODELS[k % MODELS.length] as string,
    status: k % 11 === 0 ? '429' : '200',
    // Latencies on exact binary fractions keep the sum exact in any addition order.
    latency: [0.0078125, 0.25, 1.5, 3, 700][k % 5] as number,
    tokens: (k % 13) + 1,
  };
}

export interface Totals {
  requests: Map<string, number>;
  latencyCount: Map<string, number>;
  latencySum: Map<string, number>;
  buckets: Map<string, number[]>;
  tokens: Map<string, number>;
}

export function expectedTotals(workers: number, events: number): Totals {
  const t: Totals = {
    requests: new Map(),
    latencyCount: new Map(),
    latencySum: new Map(),
    buckets: new Map(),
    tokens: new Map(),
  };
  for (let w = 0; w < workers; w++) {
    for (let i = 0; i < events; i++) {
      const e = workerEvent(w, i);
      const rk = `${e.model}|${e.status}`;
      t.requests.set(rk, (t.requests.get(rk) ?? 0) + 1);
      t.latencyCount.set(e.model, (t.latencyCount.get(e.model) ?? 0) + 1);
      t.latencySum.set(e.model, (t.latencySum.get(e.model) ?? 0) + e.latency);
      t.tokens.set(e.model, (t.tokens.get(e.model) ?? 0) + e.tokens);
      const b = t.buckets.get(e.model) ?? new Array<number>(LATENCY_BOUNDS.length + 1).fill(0);
      const idx = LATENCY_BOUNDS.findIndex((x) => e.latency <= x);
      b[idx < 0 ? LATENCY_BOUNDS.length : idx]! += 1;
      t.buckets.set(e.model, b);
    }
  }
  return t;
}

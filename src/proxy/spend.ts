// Spend per virtual key (USD), for the budget gauges and the max_budget check. The proxy keeps no
// database: spend lives in memory. Under node:cluster each worker batches its increments and sends them
// to the primary every SYNC_INTERVAL_MS; the primary sums them and broadcasts the changed totals on the
// same period, so every worker's view converges on the cluster's total within about two periods.

import cluster from 'node:cluster';

export const SPEND_SYNC_INTERVAL_MS = 250;

interface SpendMessage {
  litellmOtel: 'spend';
  /** key hash -> cost added since the last message */
  increments: Record<string, number>;
}

interface SpendTotalsMessage {
  litellmOtel: 'spend-totals';
  /** key hash -> the cluster's total */
  totals: Record<string, number>;
}

function isMessage<T extends { litellmOtel: string }>(m: unknown, kind: T['litellmOtel']): m is T {
  return typeof m === 'object' && m !== null && (m as { litellmOtel?: unknown }).litellmOtel === kind;
}

export class SpendTracker {
  private readonly spend = new Map<string, number>();
  private pending: Record<string, number> | undefined;

  constructor(private readonly shareWithPrimary = cluster.isWorker && typeof process.send === 'function') {
    if (this.shareWithPrimary) {
      process.on('message', (m: unknown) => {
        if (!isMessage<SpendTotalsMessage>(m, 'spend-totals')) return;
        for (const [key, total] of Object.entries(m.totals)) {
          // The primary's total lags this worker's own unsent increments: never go back.
          if (total > (this.spend.get(key) ?? 0)) this.spend.set(key, total);
        }
      });
    }
  }

  get(hashedKey: string): number {
    return this.spend.get(hashedKey) ?? 0;
  }

  /** Adds a request's cost; returns the key's spend including it. */
  add(hashedKey: string, cost: number): number {
    if (!(cost > 0)) return this.get(hashedKey);
    const total = this.get(hashedKey) + cost;
    this.spend.set(hashedKey, total);
    if (this.shareWithPrimary) {
      if (this.pending === undefined) {
        this.pending = {};
        setTimeout(() => this.send(), SPEND_SYNC_INTERVAL_MS).unref();
      }
      this.pending[hashedKey] = (this.pending[hashedKey] ?? 0) + cost;
    }
    return total;
  }

  private send(): void {
    const increments = this.pending;
    this.pending = undefined;
    if (!increments || !process.connected) return;
    try {
      process.send!({ litellmOtel: 'spend', increments } satisfies SpendMessage, undefined, {}, () => {});
    } catch {
      // the primary is gone: keep the local view
    }
  }
}

/** The primary's side: sums the workers' increments and broadcasts changed totals to every worker. */
export function startSpendHub(): { handle(message: unknown): void } {
  const totals = new Map<string, number>();
  let changed: Set<string> | undefined;
  const broadcast = () => {
    const keys = changed;
    changed = undefined;
    if (!keys) return;
    const out: SpendTotalsMessage = { litellmOtel: 'spend-totals', totals: {} };
    for (const k of keys) out.totals[k] = totals.get(k)!;
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w?.isConnected()) w.send(out, undefined, () => {});
    }
  };
  return {
    handle(message: unknown) {
      if (!isMessage<SpendMessage>(message, 'spend') || typeof message.increments !== 'object') return;
      for (const [key, cost] of Object.entries(message.increments)) {
        if (!(typeof cost === 'number' && cost > 0)) continue;
        totals.set(key, (totals.get(key) ?? 0) + cost);
        if (changed === undefined) {
          changed = new Set();
          setTimeout(broadcast, SPEND_SYNC_INTERVAL_MS).unref();
        }
        changed.add(key);
      }
    },
  };
}

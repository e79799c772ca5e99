// Spend per virtual key (USD), for the budget gauges and the max_budget check. The proxy keeps no
// database: spend lives in memory. Under node:cluster each worker sends its increments to the primary,
// which sums them and broadcasts the totals, so every worker's view converges on the cluster's total.

import cluster from 'node:cluster';

interface SpendMessage {
  litellmOtel: 'spend';
  key: string;
  cost: number;
}

interface SpendTotalMessage {
  litellmOtel: 'spend-total';
  key: string;
  spend: number;
}

function isMessage<T extends { litellmOtel: string }>(m: unknown, kind: T['litellmOtel']): m is T {
  return typeof m === 'object' && m !== null && (m as { litellmOtel?: unknown }).litellmOtel === kind;
}

export class SpendTracker {
  private readonly spend = new Map<string, number>();

  constructor(private readonly shareWithPrimary = cluster.isWorker && typeof process.send === 'function') {
    if (this.shareWithPrimary) {
      process.on('message', (m: unknown) => {
        if (isMessage<SpendTotalMessage>(m, 'spend-total')) {
          if (m.spend > (this.spend.get(m.key) ?? 0)) this.spend.set(m.key, m.spend);
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
      try {
        process.send!({ litellmOtel: 'spend', key: hashedKey, cost } satisfies SpendMessage);
      } catch {
        // the primary is gone: keep the local view
      }
    }
    return total;
  }
}

/** The primary's side: sums the workers' increments and broadcasts totals to every worker. */
export function startSpendHub(): { handle(message: unknown): void } {
  const totals = new Map<string, number>();
  return {
    handle(message: unknown) {
      if (!isMessage<SpendMessage>(message, 'spend') || !(message.cost > 0)) return;
      const spend = (totals.get(message.key) ?? 0) + message.cost;
      totals.set(message.key, spend);
      const out: SpendTotalMessage = { litellmOtel: 'spend-total', key: message.key, spend };
      for (const w of Object.values(cluster.workers ?? {})) {
        if (w?.isConnected()) w.send(out, undefined, () => {});
      }
    },
  };
}

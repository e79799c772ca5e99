// The router: model groups, the choice of a deployment inside a group (simple-shuffle or round-robin),
// fallback groups, and cooldown. A deployment that failed more than `allowed_fails` times within the
// current minute is skipped for `cooldown_time`, as LiteLLM's router does (in memory, per worker, like
// LiteLLM without Redis). Client-side 4xx failures other than 401, 404, 408 and 429 do not count, as in
// LiteLLM's _is_cooldown_required.

import type { Deployment, ProxyConfig } from './config.js';

export interface RouterOptions {
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
  /** Uniform [0, 1). Default `Math.random`. */
  random?: () => number;
}

interface DeploymentHealth {
  /** Failure times (ms) within the last minute. */
  fails: number[];
  cooldownUntil: number;
}

const MINUTE_MS = 60_000;

/** Whether a failure with this status counts toward cooldown (LiteLLM's _is_cooldown_required). */
export function countsTowardCooldown(status: number | undefined): boolean {
  if (status === undefined || status >= 500 || status < 400) return true;
  return status === 401 || status === 404 || status === 408 || status === 429;
}

export class Router {
  private readonly byGroup = new Map<string, Deployment[]>();
  private readonly health = new Map<string, DeploymentHealth>();
  private readonly cursor = new Map<string, number>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly config: Pick<
      ProxyConfig,
      'deployments' | 'fallbacks' | 'allowedFails' | 'cooldownTimeMs' | 'routingStrategy'
    >,
    opts: RouterOptions = {},
  ) {
    for (const d of config.deployments) {
      let list = this.byGroup.get(d.group);
      if (!list) this.byGroup.set(d.group, (list = []));
      list.push(d);
      this.health.set(d.id, { fails: [], cooldownUntil: 0 });
    }
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  hasGroup(group: string): boolean {
    return this.byGroup.has(group);
  }

  /** The model groups, in config order. */
  groups(): string[] {
    return [...this.byGroup.keys()];
  }

  deploymentsOf(group: string): readonly Deployment[] {
    return this.byGroup.get(group) ?? [];
  }

  /** The fallback groups of a group, in order (empty when none). */
  fallbacksFor(group: string): readonly string[] {
    return this.config.fallbacks.get(group) ?? [];
  }

  isCoolingDown(d: Deployment): boolean {
    return (this.health.get(d.id)?.cooldownUntil ?? 0) > this.now();
  }

  /**
   * A deployment of the group that is not cooling down and not in `exclude` (ids tried already by this
   * request), or undefined when none is available.
   */
  pick(group: string, exclude?: ReadonlySet<string>): Deployment | undefined {
    const all = this.byGroup.get(group);
    if (!all) return undefined;
    const now = this.now();
    const healthy = all.filter(
      (d) =>
        (this.health.get(d.id)?.cooldownUntil ?? 0) <= now && (exclude === undefined || !exclude.has(d.id)),
    );
    if (healthy.length === 0) return undefined;
    if (healthy.length === 1) return healthy[0];
    if (this.config.routingStrategy === 'round-robin') {
      const i = this.cursor.get(group) ?? 0;
      this.cursor.set(group, i + 1);
      return healthy[i % healthy.length];
    }
    return healthy[Math.floor(this.random() * healthy.length)];
  }

  /** Clears a deployment's failure history on success. */
  reportSuccess(d: Deployment): void {
    const h = this.health.get(d.id);
    if (h && h.fails.length > 0) h.fails.length = 0;
  }

  /**
   * Counts a failure. Returns true when this failure put the deployment into cooldown (the caller
   * records the cooldown event and the outage state).
   */
  reportFailure(d: Deployment, status: number | undefined): boolean {
    const h = this.health.get(d.id);
    if (!h || !countsTowardCooldown(status)) return false;
    const now = this.now();
    if (h.cooldownUntil > now) return false;
    while (h.fails.length > 0 && h.fails[0]! <= now - MINUTE_MS) h.fails.shift();
    h.fails.push(now);
    if (h.fails.length > this.config.allowedFails && this.config.cooldownTimeMs > 0) {
      h.cooldownUntil = now + this.config.cooldownTimeMs;
      h.fails.length = 0;
      return true;
    }
    return false;
  }
}

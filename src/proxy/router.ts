// The router: model groups, the choice of a deployment inside a group (simple-shuffle or round-robin),
// fallback groups, and cooldown, in memory and per worker like LiteLLM without Redis. Cooldown follows
// LiteLLM's router (router_utils/cooldown_handlers.py), both of its rules:
// - the failure-rate rule (LiteLLM's default, used when `allowed_fails` is unset or LiteLLM's default
//   3, or 0, which LiteLLM also reads as the default): a deployment cools down on a 429 when its group
//   has other deployments; when more than half of its calls this minute failed, with at least 5 calls,
//   in a group of several deployments; when all of at least 1000 calls this minute failed; and at once
//   on a failure that is not retried (401, 404);
// - the count rule (`allowed_fails` set to any other value): more than `allowed_fails` counted failures,
//   the count expiring `cooldown_time` after the last one (successes do not reset it).
// Either way only failures LiteLLM's _is_cooldown_required counts: 5xx, 401, 404, 408 and 429, and not
// connection errors (APIConnectionError); other 4xx are the client's fault.

import type { Deployment, ProxyConfig } from './config.js';

export interface RouterOptions {
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
  /** Uniform [0, 1). Default `Math.random`. */
  random?: () => number;
}

interface DeploymentHealth {
  /** The calendar minute (ms / 60000) the two counts below belong to. */
  minute: number;
  successes: number;
  failures: number;
  /** Count rule: counted failures, and when the count expires (ms). */
  counted: number;
  countedUntil: number;
  cooldownUntil: number;
}

const MINUTE_MS = 60_000;
/** LiteLLM's DEFAULT_FAILURE_THRESHOLD_PERCENT, DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS and
 * SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD. */
export const FAILURE_RATE_THRESHOLD = 0.5;
export const FAILURE_RATE_MINIMUM_CALLS = 5;
export const ALL_FAILED_MINIMUM_CALLS = 1000;
/** `allowed_fails` values LiteLLM reads as its default (`allowed_fails or litellm.allowed_fails`). */
const LITELLM_DEFAULT_ALLOWED_FAILS = 3;

/** Whether `allowed_fails` selects LiteLLM's count rule (else the failure-rate rule). */
export function usesCountRule(allowedFails: number | undefined): boolean {
  return allowedFails !== undefined && allowedFails !== 0 && allowedFails !== LITELLM_DEFAULT_ALLOWED_FAILS;
}

/** Whether a failure can cool its deployment down (LiteLLM's _is_cooldown_required). */
export function countsTowardCooldown(status: number | undefined, className?: string): boolean {
  if (className === 'APIConnectionError') return false;
  if (status === undefined || status >= 500 || status < 400) return true;
  return status === 401 || status === 404 || status === 408 || status === 429;
}

/** LiteLLM's _should_retry: 408, 409, 429 and 5xx are retried; other statuses are not. */
function isRetried(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export class Router {
  private readonly byGroup = new Map<string, Deployment[]>();
  private readonly health = new Map<string, DeploymentHealth>();
  private readonly cursor = new Map<string, number>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly countRule: boolean;

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
      this.health.set(d.id, {
        minute: 0,
        successes: 0,
        failures: 0,
        counted: 0,
        countedUntil: 0,
        cooldownUntil: 0,
      });
    }
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.countRule = usesCountRule(config.allowedFails);
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

  /** Counts a success in the deployment's current minute. */
  reportSuccess(d: Deployment): void {
    const h = this.health.get(d.id);
    if (!h) return;
    this.rollMinute(h, this.now());
    h.successes++;
  }

  /**
   * Counts a failure. Returns true when this failure put the deployment into cooldown (the caller
   * records the cooldown event and the outage state).
   */
  reportFailure(d: Deployment, status: number | undefined, className?: string): boolean {
    const h = this.health.get(d.id);
    if (!h) return false;
    const now = this.now();
    this.rollMinute(h, now);
    h.failures++;
    if (h.cooldownUntil > now || this.config.cooldownTimeMs <= 0) return false;
    if (!countsTowardCooldown(status, className)) return false;
    if (!this.shouldCoolDown(d, h, status, now)) return false;
    h.cooldownUntil = now + this.config.cooldownTimeMs;
    h.counted = 0;
    return true;
  }

  private shouldCoolDown(
    d: Deployment,
    h: DeploymentHealth,
    status: number | undefined,
    now: number,
  ): boolean {
    if (this.countRule) {
      if (h.countedUntil <= now) h.counted = 0;
      h.counted++;
      h.countedUntil = now + this.config.cooldownTimeMs;
      return h.counted > this.config.allowedFails;
    }
    const single = (this.byGroup.get(d.group)?.length ?? 0) <= 1;
    const calls = h.successes + h.failures;
    const failedShare = h.failures / calls;
    if (status === 429 && !single) return true;
    if (failedShare === 1 && calls >= ALL_FAILED_MINIMUM_CALLS) return true;
    if (failedShare > FAILURE_RATE_THRESHOLD && calls >= FAILURE_RATE_MINIMUM_CALLS && !single) return true;
    return !isRetried(status);
  }

  private rollMinute(h: DeploymentHealth, now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (h.minute === minute) return;
    h.minute = minute;
    h.successes = 0;
    h.failures = 0;
  }
}

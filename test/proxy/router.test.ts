// The router's cooldown rules, LiteLLM's two (router_utils/cooldown_handlers.py), on a controlled clock:
// the failure-rate rule when allowed_fails is unset (or 3 or 0, which LiteLLM reads as its default), the
// count rule for any other allowed_fails. The proxy-level tests (fallback-cooldown.test.ts) show the
// same decisions through the real proxy and its metrics.

import { describe, expect, it } from 'vitest';
import { parseProxyConfig } from '../../src/proxy/config.js';
import { Router, usesCountRule } from '../../src/proxy/router.js';

function setup(routerSettings: Record<string, unknown>, groups: Record<string, number>) {
  const model_list = Object.entries(groups).flatMap(([name, n]) =>
    Array.from({ length: n }, (_, i) => ({
      model_name: name,
      litellm_params: { model: `openai/${name}`, api_base: 'http://127.0.0.1:9' },
      model_info: { id: `${name}-${i}` },
    })),
  );
  const config = parseProxyConfig({ model_list, router_settings: routerSettings }, {});
  let t = 10 * 60_000; // the start of a calendar minute
  const router = new Router(config, { now: () => t });
  const dep = (id: string) => config.deployments.find((d) => d.id === id)!;
  return {
    router,
    dep,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('which rule allowed_fails selects', () => {
  it('unset, 3 and 0 select the failure-rate rule; other values the count rule', () => {
    expect(usesCountRule(undefined)).toBe(false);
    expect(usesCountRule(3)).toBe(false);
    expect(usesCountRule(0)).toBe(false);
    expect(usesCountRule(1)).toBe(true);
    expect(usesCountRule(2)).toBe(true);
    expect(usesCountRule(10)).toBe(true);
  });
});

describe('failure-rate rule (allowed_fails unset)', () => {
  it('cools down on the first 429 when the group has other deployments', () => {
    const { router, dep } = setup({}, { multi: 2 });
    expect(router.reportFailure(dep('multi-0'), 429)).toBe(true);
    expect(router.isCoolingDown(dep('multi-0'))).toBe(true);
    expect(router.isCoolingDown(dep('multi-1'))).toBe(false);
    expect(router.pick('multi')?.id).toBe('multi-1');
  });

  it('never cools down the only deployment of a group on 429s or on a failure rate', () => {
    const { router, dep } = setup({}, { solo: 1 });
    for (let i = 0; i < 20; i++) expect(router.reportFailure(dep('solo-0'), i % 2 ? 429 : 500)).toBe(false);
    expect(router.isCoolingDown(dep('solo-0'))).toBe(false);
  });

  it('cools down when more than half of at least 5 calls this minute failed', () => {
    const { router, dep } = setup({}, { multi: 2 });
    const d = dep('multi-0');
    router.reportSuccess(d);
    router.reportSuccess(d);
    expect(router.reportFailure(d, 500)).toBe(false); // 1 of 3
    expect(router.reportFailure(d, 500)).toBe(false); // 2 of 4: not more than half
    expect(router.reportFailure(d, 503)).toBe(true); // 3 of 5
  });

  it('exactly half failed is not more than half', () => {
    const { router, dep } = setup({}, { multi: 2 });
    const d = dep('multi-0');
    for (let i = 0; i < 3; i++) router.reportSuccess(d);
    expect(router.reportFailure(d, 500)).toBe(false); // 1 of 4
    expect(router.reportFailure(d, 500)).toBe(false); // 2 of 5
    expect(router.reportFailure(d, 500)).toBe(false); // 3 of 6
    expect(router.reportFailure(d, 500)).toBe(true); // 4 of 7
  });

  it('needs 5 calls: 4 failures out of 4 do not cool down', () => {
    const { router, dep } = setup({}, { multi: 2 });
    for (let i = 0; i < 4; i++) expect(router.reportFailure(dep('multi-0'), 500)).toBe(false);
    expect(router.reportFailure(dep('multi-0'), 500)).toBe(true);
  });

  it('counts per calendar minute: the previous minute does not carry over', () => {
    const { router, dep, advance } = setup({}, { multi: 2 });
    const d = dep('multi-0');
    for (let i = 0; i < 4; i++) router.reportFailure(d, 500);
    advance(60_000);
    for (let i = 0; i < 4; i++) expect(router.reportFailure(d, 500)).toBe(false);
    expect(router.reportFailure(d, 500)).toBe(true);
  });

  it('successes of the previous minute do not carry over either', () => {
    const { router, dep, advance } = setup({}, { multi: 2 });
    const d = dep('multi-0');
    for (let i = 0; i < 100; i++) router.reportSuccess(d);
    advance(60_000);
    for (let i = 0; i < 4; i++) expect(router.reportFailure(d, 500)).toBe(false);
    expect(router.reportFailure(d, 500)).toBe(true);
  });

  it('cools down the only deployment when all of at least 1000 calls this minute failed', () => {
    const { router, dep } = setup({}, { solo: 1 });
    for (let i = 0; i < 999; i++) expect(router.reportFailure(dep('solo-0'), 500)).toBe(false);
    expect(router.reportFailure(dep('solo-0'), 500)).toBe(true);
  });

  it('cools down at once on a failure that is not retried (401, 404), even the only deployment', () => {
    const a = setup({}, { solo: 1 });
    expect(a.router.reportFailure(a.dep('solo-0'), 401)).toBe(true);
    const b = setup({}, { solo: 1 });
    expect(b.router.reportFailure(b.dep('solo-0'), 404)).toBe(true);
  });

  it('ignores client errors and connection errors', () => {
    const { router, dep } = setup({}, { multi: 2 });
    const d = dep('multi-0');
    for (let i = 0; i < 10; i++) expect(router.reportFailure(d, 400)).toBe(false);
    for (let i = 0; i < 10; i++) expect(router.reportFailure(d, 500, 'APIConnectionError')).toBe(false);
    expect(router.isCoolingDown(d)).toBe(false);
    // but they are failures of this minute: the next counted one finds > 50 % failed
    expect(router.reportFailure(d, 500)).toBe(true);
  });

  it('tries the deployment again after cooldown_time', () => {
    const { router, dep, advance } = setup({ cooldown_time: 2 }, { multi: 2 });
    const d = dep('multi-0');
    expect(router.reportFailure(d, 429)).toBe(true);
    expect(router.reportFailure(d, 429)).toBe(false); // already cooling down: no second event
    advance(1999);
    expect(router.isCoolingDown(d)).toBe(true);
    advance(1);
    expect(router.isCoolingDown(d)).toBe(false);
  });

  it('cooldown_time 0 disables cooldown', () => {
    const { router, dep } = setup({ cooldown_time: 0 }, { multi: 2 });
    expect(router.reportFailure(dep('multi-0'), 429)).toBe(false);
    expect(router.reportFailure(dep('multi-0'), 401)).toBe(false);
  });
});

describe('count rule (allowed_fails 2)', () => {
  it('cools down on the failure after allowed_fails, not reset by successes', () => {
    const { router, dep } = setup({ allowed_fails: 2 }, { solo: 1 });
    const d = dep('solo-0');
    expect(router.reportFailure(d, 500)).toBe(false);
    router.reportSuccess(d);
    expect(router.reportFailure(d, 500)).toBe(false);
    router.reportSuccess(d);
    expect(router.reportFailure(d, 500)).toBe(true);
  });

  it('a 429 or 401 is one more counted failure, not an immediate cooldown', () => {
    const { router, dep } = setup({ allowed_fails: 2 }, { multi: 2 });
    const d = dep('multi-0');
    expect(router.reportFailure(d, 429)).toBe(false);
    expect(router.reportFailure(d, 401)).toBe(false);
    expect(router.reportFailure(d, 429)).toBe(true);
  });

  it('the count expires cooldown_time after the last counted failure', () => {
    const { router, dep, advance } = setup({ allowed_fails: 2, cooldown_time: 5 }, { solo: 1 });
    const d = dep('solo-0');
    router.reportFailure(d, 500);
    advance(4000);
    router.reportFailure(d, 500); // count 2, expires at +5 s from here
    advance(4999);
    expect(router.reportFailure(d, 500)).toBe(true);
    advance(5000); // cooldown over
    expect(router.isCoolingDown(d)).toBe(false);
    router.reportFailure(d, 500);
    router.reportFailure(d, 500);
    advance(5000); // the count expires
    expect(router.reportFailure(d, 500)).toBe(false);
  });

  it('does not count client errors or connection errors', () => {
    const { router, dep } = setup({ allowed_fails: 1 }, { solo: 1 });
    const d = dep('solo-0');
    for (let i = 0; i < 5; i++) expect(router.reportFailure(d, 422)).toBe(false);
    for (let i = 0; i < 5; i++) expect(router.reportFailure(d, 500, 'APIConnectionError')).toBe(false);
    expect(router.reportFailure(d, 408)).toBe(false);
    expect(router.reportFailure(d, 408)).toBe(true);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { HistogramMetricData, SumMetricData } from '@opentelemetry/sdk-metrics';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  DataPointType,
} from '@opentelemetry/sdk-metrics';
import { EndUserAdmission } from '../../src/views/end-user-admission.js';
import { setupMetrics } from '../../src/record/setup.js';
import { getEndUserId } from '../../src/integrations/end-user.js';

class DeltaReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe('end-user admission: TTL with an injected clock', () => {
  it('a slot frees after the TTL and a returning user gets one again', () => {
    let now = 0;
    const a = new EndUserAdmission({ maxSeries: 1, ttlSeconds: 10, now: () => now });
    expect(a.admit('alice')).toBe(true);
    now = 5_000;
    expect(a.admit('bob')).toBe(false); // no slot: alice active 5 s ago
    now = 14_000;
    expect(a.admit('alice')).toBe(true); // alice refreshes her slot
    now = 24_000;
    expect(a.admit('bob')).toBe(false); // alice idle exactly 10 s: not longer than the TTL
    now = 24_001;
    expect(a.admit('bob')).toBe(true); // idle longer than the TTL: the slot goes to bob
    expect(a.stats).toEqual({ admitted: 1, overflowed: 2, evicted: 1 });
    now = 30_000;
    expect(a.admit('alice')).toBe(false);
    now = 34_002;
    expect(a.admit('alice')).toBe(true); // bob idle > TTL: alice gets a slot again
  });

  it('overflow keeps every other label and their order', () => {
    const a = new EndUserAdmission({ maxSeries: 1, overflowValue: 'OVER', now: () => 0 });
    a.process({ end_user: 'u1', team: 't' });
    expect(Object.entries(a.process({ x: '1', end_user: 'u2', team: 't' }))).toEqual([
      ['x', '1'],
      ['end_user', 'OVER'],
      ['team', 't'],
    ]);
    const none = { end_user: 'None', team: 't' };
    expect(a.process(none)).toBe(none);
  });
});

describe('end-user admission through the real SDK: totals exact, series bounded', () => {
  let provider: MeterProvider | undefined;
  afterEach(async () => provider?.shutdown());

  it('property: for random event sequences and caps, exported sums equal recorded sums and distinct users per TTL window <= cap (+ overflow)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 3, 10, 40),
        fc.constantFrom(5, 30),
        fc.array(
          fc.record({ user: fc.nat(150), dt: fc.nat(3000), tokens: fc.integer({ min: 1, max: 500 }) }),
          {
            minLength: 300,
            maxLength: 1500,
          },
        ),
        async (cap, ttlSeconds, events) => {
          let now = 1_000_000;
          const setup = setupMetrics({
            now: () => now,
            settings: {
              track_end_user: true,
              prometheus_end_user_metrics_max_series_per_metric: cap,
              prometheus_end_user_metrics_ttl_seconds: ttlSeconds,
              prometheus_metrics_config: [
                {
                  group: 'g',
                  metrics: [
                    'litellm_proxy_total_requests_metric',
                    'litellm_input_tokens_metric',
                    'litellm_request_total_latency_metric',
                  ],
                },
              ],
            },
          });
          const reader = new DeltaReader();
          provider = new MeterProvider({ views: setup.views, readers: [reader] });
          const r = setup.createRecorder(provider, { now: () => now });
          const overflow = setup.endUserAdmission!.overflowValue;
          const exported = { requests: 0, tokens: 0, latencyCount: 0 };
          const seen: { t: number; user: string }[] = [];
          let recordedTokens = 0;
          for (const e of events) {
            now += e.dt;
            recordedTokens += e.tokens;
            r.recordSuccess({
              endUser: `user-${e.user}`,
              requestedModel: e.user % 2 ? 'a' : 'b',
              usage: { promptTokens: e.tokens },
              timings: { startTime: now - 100, endTime: now },
            });
            const { resourceMetrics } = await reader.collect();
            for (const m of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
              for (const dp of m.dataPoints) {
                const user = String(dp.attributes.end_user);
                if (user !== overflow) seen.push({ t: now, user });
              }
              if (m.descriptor.name === 'litellm_proxy_total_requests_metric_total')
                exported.requests += (m as SumMetricData).dataPoints.reduce((s, d) => s + d.value, 0);
              if (m.descriptor.name === 'litellm_input_tokens_metric_total')
                exported.tokens += (m as SumMetricData).dataPoints.reduce((s, d) => s + d.value, 0);
              if (m.dataPointType === DataPointType.HISTOGRAM)
                exported.latencyCount += (m as HistogramMetricData).dataPoints.reduce(
                  (s, d) => s + d.value.count,
                  0,
                );
            }
          }
          await provider.shutdown();
          provider = undefined;
          expect(exported).toEqual({
            requests: events.length,
            tokens: recordedTokens,
            latencyCount: events.length,
          });
          const ttl = ttlSeconds * 1000;
          for (let i = 0; i < seen.length; i++) {
            const inWindow = new Set<string>();
            for (let j = i; j < seen.length && seen[j]!.t - seen[i]!.t <= ttl; j++)
              inWindow.add(seen[j]!.user);
            expect(inWindow.size).toBeLessThanOrEqual(cap);
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});

describe('end-user id sources, in LiteLLM order', () => {
  it('standard headers first, then the configured header, then body user, litellm_metadata.user, metadata.user_id, safety_identifier', () => {
    const body = { user: 'body-user', metadata: { user_id: 'meta-user' } };
    expect(getEndUserId({ headers: { 'X-LiteLLM-Customer-Id': 'cust' }, body })).toBe('cust');
    expect(getEndUserId({ headers: { 'x-litellm-end-user-id': 'eu' }, body })).toBe('eu');
    expect(getEndUserId({ headers: { 'x-my-user': 'mine' }, body }, { userHeaderName: 'X-My-User' })).toBe(
      'mine',
    );
    expect(getEndUserId({ headers: {}, body })).toBe('body-user');
    expect(getEndUserId({ body: { litellm_metadata: { user: 'anth' }, metadata: { user_id: 'm' } } })).toBe(
      'anth',
    );
    expect(getEndUserId({ body: { metadata: JSON.stringify({ user_id: 'from-json' }) } })).toBe('from-json');
    expect(getEndUserId({ body: { safety_identifier: 'safe' } })).toBe('safe');
    expect(getEndUserId({ headers: new Headers({ 'x-litellm-customer-id': 'fetch-headers' }) })).toBe(
      'fetch-headers',
    );
    expect(getEndUserId({ body: { user: '   ' } })).toBeUndefined();
    // names known to be lower case (Node's headers): the exact name only, no scan for other spellings
    const lowercase = { headerNamesLowercase: true };
    expect(getEndUserId({ headers: { 'x-litellm-customer-id': 'c' }, body }, lowercase)).toBe('c');
    expect(getEndUserId({ headers: { 'X-LiteLLM-Customer-Id': 'c' }, body }, lowercase)).toBe('body-user');
    expect(
      getEndUserId(
        { headers: { 'x-my-user': 'mine' }, body },
        { ...lowercase, userHeaderName: ['x-a', 'X-My-User'] },
      ),
    ).toBe('mine');
    expect(getEndUserId({ body: 'not json' })).toBeUndefined();
  });
});

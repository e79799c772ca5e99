import { afterEach, describe, expect, it } from 'vitest';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import fc from 'fast-check';
import { setupMetrics } from '../../src/record/setup.js';
import type { RequestEvent } from '../../src/record/event.js';
import { families, inProcess, type InProcess } from '../support/in-process.js';

describe('recording never throws on bad values; they are dropped with a diagnostic', () => {
  let p: InProcess | undefined;
  const warnings: string[] = [];
  const logger: DiagLogger = {
    error: (m) => warnings.push(m),
    warn: (m) => warnings.push(m),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  afterEach(async () => {
    diag.disable();
    warnings.length = 0;
    await p?.shutdown();
  });

  it('NaN cost, negative tokens, reversed timings and missing fields: valid parts recorded, bad values dropped and logged', async () => {
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    expect(() =>
      r.recordSuccess({
        requestedModel: 'gpt-4o',
        responseCost: Number.NaN,
        usage: { promptTokens: -5, completionTokens: 7 },
        timings: { startTime: 2000, endTime: 1000 },
      }),
    ).not.toThrow();
    expect(() => r.recordSuccess({})).not.toThrow();
    expect(() => r.recordLlmFailure({ error: null })).not.toThrow();
    expect(() => r.recordProxyFailure({ error: { status: Number.POSITIVE_INFINITY } })).not.toThrow();
    const fams = families(await p.render());
    expect(fams.has('litellm_spend_metric_total')).toBe(false);
    expect(fams.get('litellm_output_tokens_metric_total')).toContain('} 7');
    expect(fams.get('litellm_input_tokens_metric_total')).toBeUndefined();
    expect(fams.get('litellm_proxy_total_requests_metric_total')).toContain('status_code="200"');
    expect(fams.get('litellm_proxy_failed_requests_metric_total')).toContain('exception_status="None"');
    expect(r.stats.droppedValues).toBe(3);
    expect(r.stats.errors).toBe(0);
    expect(warnings.some((w) => w.includes('responseCost'))).toBe(true);
    expect(warnings.some((w) => w.includes('usage.promptTokens'))).toBe(true);
  });

  it('a raw key given as hashedApiKey is hashed, never exported', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    r.recordSuccess({ hashedApiKey: 'sk-live-secret', requestedModel: 'm' });
    const text = await p.render();
    expect(text).not.toContain('sk-live-secret');
    expect(text).toContain('hashed_api_key="');
    expect(text).toMatch(/hashed_api_key="[0-9a-f]{64}"/);
  });

  it('hostile label values (newlines, CR, line separators) are cleaned as LiteLLM cleans them', async () => {
    const setup = setupMetrics();
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    r.recordSuccess({ requestedModel: 'a\nb\r\u2028c"d\\e', user: 'x' });
    const text = await p.render();
    expect(text).toContain('requested_model="a bc\\"d\\\\e"');
  });

  it('property: arbitrary garbage in every field never throws', () => {
    const setup = setupMetrics({ settings: { enable_genai_metrics: true, track_end_user: true } });
    p = inProcess(setup.views);
    const r = setup.createRecorder(p.provider);
    const anyValue = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.object(),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'requestedModel',
            'model',
            'apiBase',
            'usage',
            'timings',
            'error',
            'budgets',
            'rateLimits',
            'responseCost',
            'tags',
            'metadata',
            'stream',
            'endUser',
            'apiKey',
            'hashedApiKey',
          ),
          anyValue,
        ),
        (ev) => {
          const e = ev as unknown as RequestEvent;
          r.recordSuccess(e);
          r.recordLlmFailure(e);
          r.recordProxyFailure(e);
          r.recordFallback(e, true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

// Options are validated once, at start: every error names the key and the reason.

import { describe, expect, it } from 'vitest';
import { FakeLlmConfigError, resolveFakeLlmOptions, startFakeLlm } from '../../src/fake-llm/index.js';

function errorOf(options: unknown): FakeLlmConfigError {
  try {
    resolveFakeLlmOptions(options as never);
  } catch (e) {
    expect(e).toBeInstanceOf(FakeLlmConfigError);
    return e as FakeLlmConfigError;
  }
  throw new Error('expected a FakeLlmConfigError');
}

describe('resolveFakeLlmOptions', () => {
  it('applies the documented defaults', () => {
    const r = resolveFakeLlmOptions();
    expect(r).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      seed: undefined,
      models: ['fake-model', 'fake-embedding'],
      rateLimitRequests: 10_000,
      rateLimitTokens: 10_000_000,
      enforceRateLimits: false,
      embeddingDimensions: 8,
      maxBodyBytes: 10 * 1024 * 1024,
      behaviour: {
        latencyMin: 0,
        latencyMax: 0,
        firstChunkMin: undefined,
        streamChunkDelayMs: 0,
        streamChunks: 8,
        promptTokens: undefined,
        completionTokens: undefined,
        defaultCompletionTokens: 16,
        failureRate: 0,
        failureStatuses: [429, 500, 503],
        retryAfterSeconds: 1,
        timeoutRate: 0,
        hangMs: 30_000,
        dropRate: 0,
        failStatus: undefined,
      },
    });
  });

  it('names the key of each bad option and why', () => {
    expect(errorOf({ failureRate: 1.5 })).toMatchObject({ key: 'failureRate', reason: 'must be <= 1' });
    expect(errorOf({ port: 70000 })).toMatchObject({ key: 'port', reason: 'must be <= 65535' });
    expect(errorOf({ latencyMs: { min: 50, max: 10 } }).key).toBe('latencyMs');
    expect(errorOf({ failureStatuses: [200] })).toMatchObject({
      key: 'failureStatuses.0',
      reason: 'must be >= 400',
    });
    expect(errorOf({ failModels: { x: 99 } }).key).toBe('failModels.x');
    expect(errorOf({ modelOverrides: { slow: { hangMs: -1 } } }).key).toBe('modelOverrides.slow.hangMs');
    expect(errorOf({ modelOverrides: { slow: { latncyMs: 5 } } })).toMatchObject({
      key: 'modelOverrides.slow.latncyMs',
      reason: 'is not a known option',
    });
    expect(errorOf({ fialureRate: 0.1 })).toMatchObject({
      key: 'fialureRate',
      reason: 'is not a known option',
    });
    expect(errorOf({ failureRate: 0.6, dropRate: 0.6 }).key).toBe('failureRate');
    expect(errorOf('nope').key).toBe('(options)');
    expect(errorOf({ failureRate: 2 }).message).toBe('invalid fake-llm option failureRate: must be <= 1');
  });

  it('lets a model override inherit every field it does not set, and failModels add a fixed status', () => {
    const r = resolveFakeLlmOptions({
      latencyMs: 5,
      completionTokens: 3,
      modelOverrides: { slow: { latencyMs: { min: 10, max: 20 } } },
      failModels: { slow: 502, bad: 500 },
    });
    expect(r.byModel.get('slow')).toMatchObject({
      latencyMin: 10,
      latencyMax: 20,
      completionTokens: 3,
      failStatus: 502,
    });
    expect(r.byModel.get('bad')).toMatchObject({ latencyMin: 5, completionTokens: 3, failStatus: 500 });
    expect(r.behaviour.failStatus).toBeUndefined();
  });

  it('startFakeLlm rejects bad options before listening', async () => {
    await expect(startFakeLlm({ timeoutRate: -0.1 })).rejects.toMatchObject({ key: 'timeoutRate' });
  });
});

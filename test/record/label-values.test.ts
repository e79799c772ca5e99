import { describe, expect, it } from 'vitest';
import {
  cleanLabelValue,
  exceptionClassValue,
  hashApiKey,
  hashedApiKeyValue,
  labelValue,
  sanitizeLabelName,
  statusValue,
} from '../../src/record/label-values.js';

describe('label values follow LiteLLM', () => {
  it('missing values are the string "None"; booleans as Python writes them', () => {
    expect(labelValue(undefined)).toBe('None');
    expect(labelValue(null)).toBe('None');
    expect(labelValue(true)).toBe('True');
    expect(labelValue(42)).toBe('42');
  });

  it('hashed_api_key is the sha256 hex of the key; a given hash passes through', () => {
    // sha256('sk-1234'), computed independently with sha256sum
    expect(hashApiKey('sk-1234')).toBe('88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b');
    const h = hashApiKey('sk-1234');
    expect(hashedApiKeyValue(h, undefined)).toBe(h);
    expect(hashedApiKeyValue(undefined, 'sk-1234')).toBe(h);
    expect(hashedApiKeyValue('sk-1234', undefined)).toBe(h);
    expect(hashedApiKeyValue(undefined, undefined)).toBe('None');
  });

  it('exception_class is Provider.ClassName with Python capitalize()', () => {
    expect(exceptionClassValue('openai', 'RateLimitError')).toBe('Openai.RateLimitError');
    expect(exceptionClassValue('OPENAI', 'APIError')).toBe('Openai.APIError');
    expect(exceptionClassValue(undefined, 'Timeout')).toBe('Timeout');
  });

  it('status values are str(status) or "None"', () => {
    expect(statusValue(429)).toBe('429');
    expect(statusValue('503')).toBe('503');
    expect(statusValue(undefined)).toBe('None');
    expect(statusValue(Number.NaN)).toBe('None');
  });

  it('cleaning removes CR and U+2028/9 and turns newlines into spaces', () => {
    expect(cleanLabelValue('a\r\nb\u2029')).toBe('a b');
    expect(cleanLabelValue('plain')).toBe('plain');
  });

  it('custom label names are sanitized as LiteLLM does', () => {
    expect(sanitizeLabelName('metadata.foo-bar')).toBe('metadata_foo_bar');
    expect(sanitizeLabelName('1tag')).toBe('_1tag');
    expect(sanitizeLabelName('')).toBe('_');
  });
});

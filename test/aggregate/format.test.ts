/**
 * Number, escaping and name rules against Go's own output (strconv.FormatFloat(f, 'g', -1, 64),
 * printed by a Go program once; the list is below) and the collector's naming.
 */
import { describe, expect, it } from 'vitest';
import {
  escapeHelpText,
  escapeLabelValue,
  formatOpenMetricsFloat,
  formatTextFloat,
  formatUint,
} from '../../src/aggregate/format.js';
import { buildLabelName, buildMetricName } from '../../src/aggregate/names.js';
import { compareUtf8 } from '../../src/aggregate/utf8-compare.js';

// [input, Go strconv.FormatFloat(f, 'g', -1, 64)] — from `go run` on go1.26.
const GO_G: [number, string][] = [
  [1e-7, '1e-07'],
  [1e-5, '1e-05'],
  [0.0001, '0.0001'],
  [0.00012345, '0.00012345'],
  [123456, '123456'],
  [999999, '999999'],
  [1000000, '1e+06'],
  [1234567, '1.234567e+06'],
  [123456789.123, '1.23456789123e+08'],
  [1e21, '1e+21'],
  [0.1, '0.1'],
  [0.005, '0.005'],
  [600, '600'],
  [1.5e-10, '1.5e-10'],
  [-3.25e8, '-3.25e+08'],
  [17.55, '17.55'],
  [1e100, '1e+100'],
  [5e-324, '5e-324'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
];

describe('number formatting', () => {
  it.each(GO_G)('text format writes %s as Go does (%s)', (f, go) => {
    expect(formatTextFloat(f)).toBe(go);
  });

  it('writes the special values as expfmt does', () => {
    expect([1, 0, -1, -0, NaN, Infinity, -Infinity].map(formatTextFloat)).toEqual([
      '1',
      '0',
      '-1',
      '0',
      'NaN',
      '+Inf',
      '-Inf',
    ]);
    expect([1, 0, -1, 2, 0.5, 1e6, NaN, Infinity].map(formatOpenMetricsFloat)).toEqual([
      '1.0',
      '0.0',
      '-1.0',
      '2.0',
      '0.5',
      '1e+06',
      'NaN',
      '+Inf',
    ]);
    expect([0, 6, 1e6, 12345678901].map(formatUint)).toEqual(['0', '6', '1000000', '12345678901']);
  });
});

describe('escaping', () => {
  it('escapes label values (\\\\, \\", \\n) and HELP text (\\\\, \\n only)', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeHelpText('a"b\\c\nd')).toBe('a"b\\\\c\\nd');
    expect(escapeLabelValue('plain ✓')).toBe('plain ✓');
  });
});

describe('names (UnderscoreEscapingWithoutSuffixes, collector 0.155.0)', () => {
  it('translates metric names', () => {
    expect(buildMetricName('litellm_spend_metric_total')).toBe('litellm_spend_metric_total');
    expect(buildMetricName('gen_ai.client.token.usage')).toBe('gen_ai_client_token_usage');
    expect(buildMetricName('probe.dotted-name/with:colon')).toBe('probe_dotted_name_with:colon');
    expect(buildMetricName('a..b--c.')).toBe('a_b_c');
    expect(buildMetricName('0probe')).toBe('_0probe');
    expect(buildMetricName('...')).toBeUndefined();
  });

  it('translates label names and refuses the ones client_golang refuses', () => {
    expect(buildLabelName('gen_ai.request.model')).toBe('gen_ai_request_model');
    expect(buildLabelName('0digit')).toBe('key_0digit');
    expect(buildLabelName('_leading')).toBe('_leading');
    expect(buildLabelName('ünïcode')).toBe('_n_code');
    expect(buildLabelName('__double')).toBeUndefined();
    expect(buildLabelName('...')).toBeUndefined();
    expect(buildLabelName('')).toBeUndefined();
  });

  it('sorts strings in UTF-8 byte order, as Go does', () => {
    const sorted = ['\u{1d11e}', '\ue000', 'z', 'a'].sort(compareUtf8);
    expect(sorted).toEqual(['a', 'z', '\ue000', '\u{1d11e}']);
  });
});

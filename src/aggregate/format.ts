/**
 * Number and string formatting exactly as Prometheus' Go text encoders (`expfmt`) write them:
 * text format 0.0.4 (`writeFloat`, `writeEscapedString`) and OpenMetrics 1.0
 * (`writeOpenMetricsFloat`, `writeUint`).
 */

/**
 * Go's `strconv.FormatFloat(f, 'g', -1, 64)`: shortest round-trip digits; with the shortest
 * precision Go switches to the exponent form when the decimal exponent is < -4 or >= 6
 * (`if shortest { eprec = 6 }`), and writes at least two exponent digits (`1e-07`, `1e+06`).
 * JavaScript's `String(f)` gives the same shortest digits, in fixed form for 1e-7 <= |f| < 1e21.
 */
function formatGoShortestG(f: number): string {
  const abs = f < 0 ? -f : f;
  if (abs >= 1e-4 && abs < 1e6) return String(f);
  return goExponentForm(f);
}

function goExponentForm(f: number): string {
  // JS toExponential() without argument gives the shortest round-trip mantissa.
  const s = f.toExponential();
  const e = s.indexOf('e');
  const mantissa = s.slice(0, e);
  const sign = s[e + 1];
  let digits = s.slice(e + 2);
  if (digits.length < 2) digits = '0' + digits;
  return `${mantissa}e${sign}${digits}`;
}

/** Sample value / `le` value in text format 0.0.4 (`expfmt.writeFloat`). */
export function formatTextFloat(f: number): string {
  if (f === 1) return '1';
  if (f === 0) return '0';
  if (f === -1) return '-1';
  if (f !== f) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  return formatGoShortestG(f);
}

/** Sample value / `le` value in OpenMetrics (`expfmt.writeOpenMetricsFloat`). */
export function formatOpenMetricsFloat(f: number): string {
  if (f === 1) return '1.0';
  if (f === 0) return '0.0';
  if (f === -1) return '-1.0';
  if (f !== f) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const s = formatGoShortestG(f);
  return s.includes('e') || s.includes('.') ? s : s + '.0';
}

/** An unsigned integer count (`expfmt.writeUint`, OpenMetrics bucket and `_count` samples). */
export function formatUint(n: number): string {
  if (!(n >= 0)) return '0';
  return n < 1e21 ? String(Math.round(n)) : BigInt(Math.round(n)).toString();
}

const NEEDS_LABEL_ESCAPE = /[\\"\n]/;
const NEEDS_HELP_ESCAPE = /[\\\n]/;

/** Label value escaping, both formats: `\` → `\\`, `"` → `\"`, newline → `\n`. */
export function escapeLabelValue(v: string): string {
  if (!NEEDS_LABEL_ESCAPE.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** HELP text escaping in text format 0.0.4: `\` and newline only. */
export function escapeHelpText(v: string): string {
  if (!NEEDS_HELP_ESCAPE.test(v)) return v;
  return v.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

/** HELP text escaping in OpenMetrics: like label values (double quotes too). */
export const escapeHelpOpenMetrics = escapeLabelValue;

/**
 * Metric and label names as the collector's `prometheus` exporter builds them with
 * `translation_strategy: UnderscoreEscapingWithoutSuffixes` (prometheus/otlptranslator
 * `MetricNamer.buildCompliantMetricName` without suffixes, `LabelNamer.Build`), plus the label
 * checks client_golang's `NewDesc` applies (reserved `__` prefix).
 */

function isMetricChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58 || c === 95;
}

function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * `strings.Join(strings.FieldsFunc(name, invalid), "_")`: runs of characters outside
 * `[a-zA-Z0-9:_]` become one `_`, leading and trailing ones vanish; a leading digit gets `_`.
 * Returns undefined when the result is empty or only underscores (the exporter drops the metric).
 */
export function buildMetricName(name: string): string | undefined {
  let out = '';
  let pendingSep = false;
  for (const ch of name) {
    const c = ch.codePointAt(0) as number;
    if (isMetricChar(c)) {
      if (pendingSep && out.length > 0) out += '_';
      pendingSep = false;
      out += ch;
    } else {
      pendingSep = true;
    }
  }
  if (out.length > 0 && isDigit(out.charCodeAt(0))) out = '_' + out;
  if (out.length === 0) return undefined;
  if (out !== name && /^_+$/.test(out)) return undefined;
  return out;
}

/**
 * `LabelNamer.Build` with underscore escaping: every character outside `[a-zA-Z0-9_]` becomes `_`
 * (runs kept), a leading digit gets `key_`, a leading `_` stays. Returns undefined for
 * names the exporter (or client_golang) refuses: empty, only underscores, or reserved `__…`.
 */
export function buildLabelName(label: string): string | undefined {
  if (label.length === 0) return undefined;
  let out = '';
  for (const ch of label) {
    const c = ch.codePointAt(0) as number;
    out += isLabelChar(c) ? ch : '_';
  }
  // A leading single `_` is kept: collector 0.155.0 writes `_under` as is (observed), i.e.
  // otlptranslator's PermissiveLabelSanitization behaviour.
  if (isDigit(out.charCodeAt(0))) out = 'key_' + out;
  if (out !== label && /^_+$/.test(out)) return undefined;
  if (out.startsWith('__')) return undefined;
  return out;
}

/** A small bounded memo for name translation (names repeat on every request). */
export function memoize(
  fn: (s: string) => string | undefined,
  max = 10_000,
): (s: string) => string | undefined {
  const cache = new Map<string, string | null>();
  return (s: string) => {
    const hit = cache.get(s);
    if (hit !== undefined) return hit === null ? undefined : hit;
    const r = fn(s);
    if (cache.size >= max) cache.clear();
    cache.set(s, r === undefined ? null : r);
    return r;
  };
}

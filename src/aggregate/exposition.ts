/**
 * Writes the Prometheus exposition as client_golang's `expfmt` does for the collector's
 * `prometheus` exporter: text format 0.0.4 (`MetricFamilyToText`) or OpenMetrics 1.0
 * (`MetricFamilyToOpenMetrics` + `FinalizeOpenMetrics`), families sorted by name, series by label
 * values, no timestamps, no `_created` lines.
 *
 * Speed: every series keeps its line prefixes (`name{labels} `) as UTF-8 bytes, built on its first
 * scrape; a scrape copies those bytes and writes the formatted numbers into one growing buffer.
 * (Building the page as JavaScript strings and encoding it cost several times more at 100k series.)
 */
import {
  escapeHelpOpenMetrics,
  escapeHelpText,
  formatOpenMetricsFloat,
  formatTextFloat,
  formatUint,
} from './format.js';
import type { Family, Series, SeriesPrefixes } from './series.js';
import type { MergeStore } from './store.js';
import { renderSelfMetrics } from './self-metrics.js';

export type ExpositionFormat = 'text' | 'openmetrics';

/** A growing byte buffer. */
class ByteSink {
  private buf: Buffer;
  private pos = 0;

  constructor(sizeHint: number, scratch: Buffer | undefined) {
    this.buf =
      scratch !== undefined && scratch.length >= sizeHint
        ? scratch
        : Buffer.allocUnsafeSlow(Math.max(4096, sizeHint));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** ASCII only (numbers, fixed syntax). */
  ascii(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  utf8(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function header(out: ByteSink, familyName: string, help: string, type: string, om: boolean): void {
  out.utf8(
    '# HELP ' +
      familyName +
      ' ' +
      (om ? escapeHelpOpenMetrics(help) : escapeHelpText(help)) +
      '\n# TYPE ' +
      familyName +
      ' ' +
      type +
      '\n',
  );
}

function prefixesOf(f: Family, s: Series): SeriesPrefixes {
  if (s.prefixes !== undefined) return s.prefixes;
  const block = s.labelText.length === 0 ? '' : '{' + s.labelText + '}';
  let prefixes: SeriesPrefixes;
  if (f.type === 'histogram') {
    const text = Buffer.from(f.name + block + ' ');
    prefixes = {
      text,
      openMetrics: text,
      bucket: Buffer.from(f.name + '_bucket{' + s.labelText + (s.labelText.length === 0 ? 'le="' : ',le="')),
      sum: Buffer.from(f.name + '_sum' + block + ' '),
      count: Buffer.from(f.name + '_count' + block + ' '),
    };
  } else {
    const text = Buffer.from(f.name + block + ' ');
    // OpenMetrics samples keep the name: a counter named `…_total` is written as such (its family
    // without the suffix); one without the suffix is written as an `unknown` family, name unchanged.
    prefixes = { text, openMetrics: text, bucket: undefined, sum: undefined, count: undefined };
  }
  s.prefixes = prefixes;
  return prefixes;
}

const INF_BUCKET = Buffer.from('+Inf"} ');

function renderFamily(out: ByteSink, f: Family, om: boolean): void {
  const series = f.sorted as Series[];
  if (series.length === 0) return;
  const fmt = om ? formatOpenMetricsFloat : formatTextFloat;
  const count = om ? formatUint : formatTextFloat;
  if (f.type === 'histogram') {
    header(out, f.name, f.help, 'histogram', om);
    for (const s of series) {
      const p = prefixesOf(f, s);
      const bucket = p.bucket as Buffer;
      const info = s.boundsInfo;
      const counts = s.counts;
      if (info !== undefined && counts !== undefined) {
        const les = om ? info.leOpenMetricsBytes : info.leTextBytes;
        let cumulative = 0;
        for (let i = 0; i < les.length; i++) {
          cumulative += counts[i] as number;
          out.bytes(bucket);
          out.bytes(les[i] as Buffer);
          out.ascii(count(cumulative) + '\n');
        }
        if (!info.infSeen) {
          out.bytes(bucket);
          out.bytes(INF_BUCKET);
          out.ascii(count(s.count) + '\n');
        }
      } else {
        out.bytes(bucket);
        out.bytes(INF_BUCKET);
        out.ascii(count(s.count) + '\n');
      }
      out.bytes(p.sum as Buffer);
      out.ascii(fmt(s.sum) + '\n');
      out.bytes(p.count as Buffer);
      out.ascii(count(s.count) + '\n');
    }
    return;
  }
  // OpenMetrics (expfmt, as collector 0.155.0 writes it): a counter family is named without its
  // `_total`, which its samples carry; a counter whose name lacks `_total` becomes `unknown`.
  let familyName = f.name;
  let type: string = f.type;
  if (om && f.type === 'counter') {
    if (f.name.endsWith('_total')) familyName = f.name.slice(0, -6);
    else type = 'unknown';
  }
  header(out, familyName, f.help, type, om);
  for (const s of series) {
    const p = prefixesOf(f, s);
    out.bytes(om ? p.openMetrics : p.text);
    out.ascii(fmt(s.value) + '\n');
  }
}

let lastSize = 64 * 1024;

/**
 * Renders families already sorted (and with sorted series), then the aggregator's own metrics.
 * `scratch`, a buffer no longer in use, is written into when big enough: reusing it spares the
 * garbage collector a 30 MB allocation per scrape at 100k series.
 */
export function renderExposition(
  families: readonly Family[],
  format: ExpositionFormat,
  self: MergeStore | undefined,
  scratch?: Buffer,
): Buffer {
  const om = format === 'openmetrics';
  const out = new ByteSink(lastSize + (lastSize >> 3), scratch);
  for (const f of families) renderFamily(out, f, om);
  if (self !== undefined) out.utf8(renderSelfMetrics('', self, om));
  if (om) out.ascii('# EOF\n');
  const result = out.result();
  lastSize = result.length;
  return result;
}

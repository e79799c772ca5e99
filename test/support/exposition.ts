// Prometheus text exposition for the e2e assertions: a parser, series keys, sums over label filters,
// and a tracker that sees every scrape and counts any counter/bucket/_sum/_count series that decreases
// or disappears (the failure of LiteLLM issue #10595).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function unescapeValue(v: string): string {
  return v.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses text format 0.0.4 (what the collector and the embedded aggregator serve). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l: RegExpExecArray | null;
      while ((l = re.exec(m[3])) !== null) labels[l[1]!] = unescapeValue(l[2]!);
    }
    const raw = m[4]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** `name{a="1",b="2"}` with labels sorted by name (`omit` leaves labels out, e.g. `job`). */
export function seriesKey(s: Sample, omit: readonly string[] = []): string {
  const keys = Object.keys(s.labels)
    .filter((k) => !omit.includes(k))
    .sort();
  return `${s.name}{${keys.map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(',')}}`;
}

/** Sum of one sample name's values over the series whose labels match `where`. */
export function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  let s = 0;
  for (const x of samples) {
    if (x.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => (x.labels[k] ?? '') === v)) s += x.value;
  }
  return s;
}

/** Samples that must never decrease while one collector runs: counters and histogram parts. */
export function isMonotonicSample(name: string): boolean {
  return (
    name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count') || name.endsWith('_sum')
  );
}

export async function fetchExposition(metricsUrl: string, timeoutMs = 10_000): Promise<string> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${metricsUrl} answered ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

export async function scrape(metricsUrl: string): Promise<Sample[]> {
  return parseExposition(await fetchExposition(metricsUrl));
}

/** Polls `metricsUrl` until `check` holds or `timeoutMs` passes; returns the last scrape. */
export async function scrapeUntil(
  metricsUrl: string,
  check: (s: Sample[]) => boolean,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  for (;;) {
    last = await scrape(metricsUrl);
    if (check(last) || Date.now() >= deadline) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Violation {
  series: string;
  kind: 'decrease' | 'vanished';
  before: number;
  after: number | undefined;
  scrape: number;
}

/** Feeds scrapes in order; remembers every monotonic series and reports decreases and vanishings. */
export class MonotonicTracker {
  readonly violations: Violation[] = [];
  private readonly last = new Map<string, number>();
  scrapes = 0;

  observe(samples: Sample[]): void {
    this.scrapes++;
    const seen = new Set<string>();
    for (const s of samples) {
      if (!isMonotonicSample(s.name)) continue;
      const k = seriesKey(s);
      seen.add(k);
      const prev = this.last.get(k);
      if (prev !== undefined && s.value < prev) {
        this.violations.push({
          series: k,
          kind: 'decrease',
          before: prev,
          after: s.value,
          scrape: this.scrapes,
        });
      }
      this.last.set(k, s.value);
    }
    for (const [k, v] of this.last) {
      if (!seen.has(k))
        this.violations.push({
          series: k,
          kind: 'vanished',
          before: v,
          after: undefined,
          scrape: this.scrapes,
        });
    }
  }

  /** How many distinct monotonic series were seen. */
  get seriesSeen(): number {
    return this.last.size;
  }
}

/**
 * The collector's own drop counter: the sum of `otelcol_deltatocumulative_datapoints` over every series
 * that carries an `error` label (0 when there is none), and the error values seen.
 */
export function deltaToCumulativeErrors(telemetry: Sample[]): { dropped: number; errors: string[] } {
  let dropped = 0;
  const errors: string[] = [];
  for (const s of telemetry) {
    if (!s.name.startsWith('otelcol_deltatocumulative_datapoints')) continue;
    const e = s.labels.error;
    if (e === undefined || e === '') continue;
    dropped += s.value;
    errors.push(`${e}=${s.value}`);
  }
  return { dropped, errors };
}

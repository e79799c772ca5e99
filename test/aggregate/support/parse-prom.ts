/**
 * A strict parser of the Prometheus text format 0.0.4 (and the OpenMetrics subset the aggregator
 * writes), for tests: it throws on anything a Prometheus scraper would refuse.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(s: string, line: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`bad value "${s}" in: ${line}`);
  return Number(s);
}

function unescape(v: string, line: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => {
    if (c === 'n') return '\n';
    if (c === '\\' || c === '"') return c;
    throw new Error(`bad escape \\${c} in: ${line}`);
  });
}

export function parseExposition(text: string, openMetrics = false): ParsedExposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  if (text === '' && !openMetrics) return { samples, types, help };
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (openMetrics && lines[lines.length - 1] !== '# EOF') throw new Error('OpenMetrics without # EOF');
  for (const line of lines) {
    if (line === '# EOF' && openMetrics) continue;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const m = NAME.exec(rest);
      if (!m || rest[m[0].length] !== ' ') throw new Error(`bad HELP: ${line}`);
      help.set(m[0], rest.slice(m[0].length + 1));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, extra] = line.slice(7).split(' ');
      if (!name || !NAME.test(name) || !type || extra !== undefined) throw new Error(`bad TYPE: ${line}`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown'].includes(type))
        throw new Error(`bad type: ${line}`);
      if (types.has(name)) throw new Error(`second TYPE for ${name}`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment: ${line}`);
    const m = NAME.exec(line);
    if (!m) throw new Error(`bad sample: ${JSON.stringify(line)}`);
    const name = m[0];
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const l = LABEL.exec(rest);
        if (!l) throw new Error(`bad label name in: ${JSON.stringify(line)}`);
        rest = rest.slice(l[0].length);
        if (!rest.startsWith('="')) throw new Error(`bad label in: ${JSON.stringify(line)}`);
        rest = rest.slice(2);
        let i = 0;
        while (i < rest.length && rest[i] !== '"') {
          if (rest[i] === '\n') throw new Error('raw newline in label value');
          i += rest[i] === '\\' ? 2 : 1;
        }
        if (i >= rest.length) throw new Error(`unterminated label value in: ${JSON.stringify(line)}`);
        if (l[0] in labels) throw new Error(`duplicate label ${l[0]} in: ${line}`);
        labels[l[0]] = unescape(rest.slice(0, i), line);
        rest = rest.slice(i + 1);
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) throw new Error(`bad label separator in: ${JSON.stringify(line)}`);
      }
      rest = rest.slice(1);
    }
    if (!rest.startsWith(' ')) throw new Error(`no value in: ${JSON.stringify(line)}`);
    const parts = rest.slice(1).split(' ');
    if (parts.length > 2) throw new Error(`trailing data in: ${line}`);
    samples.push({ name, labels, value: parseValue(parts[0] as string, line) });
  }
  return { samples, types, help };
}

/** A stable key for a sample: name and sorted labels. */
export function sampleKey(s: Sample): string {
  const keys = Object.keys(s.labels).sort();
  return s.name + '{' + keys.map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(',') + '}';
}

export async function scrape(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; contentType: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

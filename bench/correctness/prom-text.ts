// Reading a Prometheus text page the way the issue-8 benchmarks need it: one family's samples
// (label set -> value), fetched over a fresh connection each time, and timed.

import { get } from 'node:http';

/**
 * Every sample of `metric` on the page: the label part (`{...}`, as written) -> value.
 * Only samples named exactly `metric`; comments and other names are skipped.
 */
export function samplesOf(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    if (text.startsWith(metric, pos)) {
      const after = text.charCodeAt(pos + metric.length);
      // '{' or ' ' right after the name: this family, not a longer name with the same prefix.
      if (after === 123 || after === 32) {
        const line = text.slice(pos, end);
        const close = after === 123 ? line.lastIndexOf('}') : metric.length - 1;
        const labels = after === 123 ? line.slice(metric.length, close + 1) : '';
        const rest = line
          .slice(close + 1)
          .trim()
          .split(' ');
        out.set(labels, Number(rest[0]));
      }
    }
    pos = end + 1;
  }
  return out;
}

export function sumOf(samples: Map<string, number>): number {
  let s = 0;
  for (const v of samples.values()) s += v;
  return s;
}

/**
 * GET `url` on a new connection (no keep-alive, so a node:cluster server hands each request to
 * the next worker), no Accept-Encoding (every system answers uncompressed text). Time from the
 * request to the last byte.
 */
export function timedGet(
  url: string,
  timeoutMs = 600_000,
): Promise<{ ms: number; text: string; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          ms: performance.now() - t0,
          text: Buffer.concat(chunks).toString('utf8'),
          status: res.statusCode ?? 0,
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Exposition format negotiation from the `Accept` header, as client_golang's
 * `expfmt.NegotiateIncludingOpenMetrics` does it (ranges ordered by `q`, first usable one wins;
 * `text/plain` only in version 0.0.4 or unversioned; protobuf is not offered, so it is skipped).
 */
import type { ExpositionFormat } from './exposition.js';

export interface Negotiated {
  readonly format: ExpositionFormat;
  readonly contentType: string;
}

interface AcceptRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(header: string): AcceptRange[] {
  const out: AcceptRange[] = [];
  for (const part of header.split(',')) {
    const [range, ...rest] = part.split(';');
    const [type = '', subtype = ''] = (range ?? '').trim().toLowerCase().split('/');
    if (type === '') continue;
    const params = new Map<string, string>();
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim();
      if (k === 'q') {
        const n = Number(v);
        q = Number.isFinite(n) ? n : 0;
      } else params.set(k, v);
    }
    out.push({ type, subtype, params, q });
  }
  // goautoneg: higher q first; at equal q, concrete types before wildcards (stable otherwise).
  return out
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      if (a.r.q !== b.r.q) return b.r.q - a.r.q;
      const aw = (a.r.type === '*' ? 2 : 0) + (a.r.subtype === '*' ? 1 : 0);
      const bw = (b.r.type === '*' ? 2 : 0) + (b.r.subtype === '*' ? 1 : 0);
      return aw !== bw ? aw - bw : a.i - b.i;
    })
    .map((x) => x.r);
}

const ESCAPINGS = new Set(['allow-utf-8', 'underscores', 'dots', 'values']);

export function negotiateFormat(accept: string | undefined, enableOpenMetrics: boolean): Negotiated {
  let escaping = 'underscores';
  for (const r of parseAccept(accept ?? '')) {
    const e = r.params.get('escaping');
    if (e !== undefined && ESCAPINGS.has(e)) escaping = e;
    const version = r.params.get('version') ?? '';
    if (r.type === 'text' && r.subtype === 'plain' && (version === '0.0.4' || version === '')) break;
    if (enableOpenMetrics && r.type === 'application' && r.subtype === 'openmetrics-text') {
      if (version === '1.0.0' || version === '0.0.1' || version === '') {
        const v = version === '1.0.0' ? '1.0.0' : '0.0.1';
        return {
          format: 'openmetrics',
          contentType: `application/openmetrics-text; version=${v}; charset=utf-8; escaping=${escaping}`,
        };
      }
    }
  }
  return { format: 'text', contentType: `text/plain; version=0.0.4; charset=utf-8; escaping=${escaping}` };
}

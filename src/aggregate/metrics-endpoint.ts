/**
 * The Prometheus endpoint: `GET /metrics` in text format 0.0.4, or OpenMetrics 1.0 when the
 * scraper's `Accept` asks for it; gzip when accepted; optional bearer token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { gzip } from 'node:zlib';
import { negotiateFormat } from './negotiate.js';
import type { MergeStore } from './store.js';

export const METRICS_PATH = '/metrics';

export interface MetricsEndpointOptions {
  readonly bearerToken: string | undefined;
  readonly enableOpenMetrics: boolean;
  readonly compressResponse: boolean;
}

function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (m === null) return false;
  const given = Buffer.from(m[1] as string, 'utf8');
  const expected = Buffer.from(token, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** A request handler for `GET /metrics`; mount it in any node:http server. */
export function createMetricsHandler(
  store: MergeStore,
  options: MetricsEndpointOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  // One spare output buffer, handed back when a response is done with it.
  let spare: Buffer | undefined;
  return (req, res) => {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${req.method ?? ''} is not allowed; use GET\n`);
      return;
    }
    if (options.bearerToken !== undefined && !authorized(req.headers.authorization, options.bearerToken)) {
      store.stats.unauthorizedScrapes++;
      res.writeHead(401, {
        'WWW-Authenticate': 'Bearer realm="metrics"',
        'Content-Type': 'text/plain; charset=utf-8',
      });
      res.end('a valid bearer token is required\n');
      return;
    }
    store.stats.scrapes++;
    const { format, contentType } = negotiateFormat(req.headers.accept, options.enableOpenMetrics);
    const scratch = spare;
    spare = undefined;
    const body = store.renderBytes(format, Date.now(), scratch);
    const whole = Buffer.from(body.buffer, body.byteOffset, body.buffer.byteLength - body.byteOffset);
    res.once('close', () => {
      if (spare === undefined || spare.length < whole.length) spare = whole;
    });
    const send = (bytes: Buffer, encoding: string | undefined): void => {
      const headers: Record<string, string | number> = {
        'Content-Type': contentType,
        'Content-Length': bytes.length,
      };
      if (encoding !== undefined) headers['Content-Encoding'] = encoding;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : bytes);
    };
    if (options.compressResponse && acceptsGzip(req.headers['accept-encoding'])) {
      gzip(body, (err, zipped) => (err ? send(body, undefined) : send(zipped, 'gzip')));
    } else {
      send(body, undefined);
    }
  };
}

// An OTLP/HTTP tee for the parity test: the workers export to it, and it forwards every request body
// unchanged (same bytes, same Content-Type/Content-Encoding) to several sinks, one request at a time
// in arrival order, so each sink sees the identical sequence of requests. It answers 200 only when
// every sink answered 2xx (else 503, which the workers' exporter retries).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpTee {
  /** Where workers export: `http://127.0.0.1:<port>/v1/metrics`. */
  readonly url: string;
  /** Requests forwarded to every sink so far, and those some sink refused. */
  stats(): { forwarded: number; refused: number };
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startOtlpTee(sinks: string[]): Promise<OtlpTee> {
  let chain: Promise<unknown> = Promise.resolve();
  let forwarded = 0;
  let refused = 0;
  const forward = async (body: Buffer, headers: Record<string, string>): Promise<boolean> => {
    let ok = true;
    for (const sink of sinks) {
      try {
        const res = await fetch(sink, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (res.status < 200 || res.status > 299) ok = false;
      } catch {
        ok = false;
      }
    }
    if (ok) forwarded++;
    else refused++;
    return ok;
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const headers: Record<string, string> = {
        'content-type': req.headers['content-type'] ?? 'application/json',
      };
      if (req.headers['content-encoding']) headers['content-encoding'] = req.headers['content-encoding'];
      const result = chain.then(() => forward(body, headers));
      chain = result;
      const ok = await result;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(ok ? '{"partialSuccess":{}}' : '{"code":14,"message":"a sink refused"}');
    })().catch(() => {
      res.writeHead(503);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/metrics`,
    stats: () => ({ forwarded, refused }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

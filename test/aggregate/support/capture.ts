/** A local OTLP/HTTP sink that keeps the raw request bodies of a real exporter, for replay. */
import { createServer, type Server } from 'node:http';

export interface CapturedBody {
  contentType: string;
  contentEncoding: string | undefined;
  body: Buffer;
}

export interface CaptureSink {
  url: string;
  bodies: CapturedBody[];
  close(): Promise<void>;
}

export function startCaptureSink(): Promise<CaptureSink> {
  const bodies: CapturedBody[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({
        contentType: String(req.headers['content-type'] ?? ''),
        contentEncoding: req.headers['content-encoding'],
        body: Buffer.concat(chunks),
      });
      const proto = String(req.headers['content-type']).includes('protobuf');
      res.writeHead(200, { 'Content-Type': proto ? 'application/x-protobuf' : 'application/json' });
      res.end(proto ? '' : '{}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/v1/metrics`,
        bodies,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export async function post(url: string, b: CapturedBody): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': b.contentType };
  if (b.contentEncoding) headers['Content-Encoding'] = b.contentEncoding;
  return fetch(url, { method: 'POST', headers, body: b.body, signal: AbortSignal.timeout(10_000) });
}

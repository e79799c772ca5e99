/**
 * The OTLP/HTTP metrics receiver: `POST /v1/metrics`, OTLP/JSON (`application/json`) or
 * OTLP/protobuf (`application/x-protobuf`), optionally gzip or deflate compressed, like the
 * collector's `otlp` receiver. A malformed, truncated or oversized body is answered with a 4xx and
 * a message (a `google.rpc.Status` in the request's encoding) and changes nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { normalizeExportRequest, OtlpInvalidError } from './otlp-normalize.js';
import { decodeExportRequestProtobuf } from './otlp-proto.js';
import type { NormalizedRequest } from './otlp-model.js';
import type { MergeStore } from './store.js';
import type { RejectReason } from './stats.js';
import { bump } from './stats.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export const OTLP_METRICS_PATH = '/v1/metrics';

type BodyEncoding = 'json' | 'protobuf';

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

function bodyEncodingOf(contentType: string | undefined): BodyEncoding | undefined {
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mime === 'application/json') return 'json';
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'protobuf';
  return undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(
        new RequestError(
          413,
          'too_large',
          `request body of ${declared} bytes exceeds the limit of ${limit} bytes`,
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(new RequestError(413, 'too_large', `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new RequestError(400, 'malformed', `could not read the request body: ${err.message}`));
    });
  });
}

async function decompress(body: Buffer, encoding: string, limit: number): Promise<Buffer> {
  const enc = encoding.trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  if (enc !== 'gzip' && enc !== 'x-gzip' && enc !== 'deflate') {
    throw new RequestError(
      415,
      'unsupported_encoding',
      `Content-Encoding "${encoding}" is not supported (gzip, deflate)`,
    );
  }
  try {
    const opts = { maxOutputLength: limit };
    return enc === 'deflate' ? await inflateAsync(body, opts) : await gunzipAsync(body, opts);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new RequestError(
        413,
        'too_large',
        `decompressed request body exceeds the limit of ${limit} bytes`,
      );
    }
    throw new RequestError(
      400,
      'malformed',
      `could not decompress the ${enc} body: ${(err as Error).message}`,
    );
  }
}

function decode(body: Buffer, encoding: BodyEncoding): NormalizedRequest {
  let decoded: unknown;
  try {
    decoded = encoding === 'json' ? JSON.parse(body.toString('utf8')) : decodeExportRequestProtobuf(body);
  } catch (err) {
    const what = encoding === 'json' ? 'OTLP/JSON' : 'OTLP/protobuf';
    throw new RequestError(400, 'malformed', `invalid ${what} body: ${(err as Error).message}`);
  }
  try {
    return normalizeExportRequest(decoded);
  } catch (err) {
    if (err instanceof OtlpInvalidError)
      throw new RequestError(400, 'malformed', `invalid OTLP metrics request: ${err.message}`);
    throw err;
  }
}

// --- answers -------------------------------------------------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(n));
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function pbField(tag: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag, ...varint(payload.length)]), payload]);
}

/** `google.rpc.Status{code=1, message=2}` as protobuf. */
function statusProtobuf(code: number, message: string): Buffer {
  return Buffer.concat([Buffer.from([0x08, ...varint(code)]), pbField(0x12, Buffer.from(message, 'utf8'))]);
}

/** `ExportMetricsServiceResponse{partial_success=1{rejected_data_points=1, error_message=2}}`. */
function responseProtobuf(rejected: number, message: string | undefined): Buffer {
  if (rejected === 0) return Buffer.alloc(0);
  const inner = Buffer.concat([
    Buffer.from([0x08, ...varint(rejected)]),
    pbField(0x12, Buffer.from(message ?? '', 'utf8')),
  ]);
  return pbField(0x0a, inner);
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer | string,
  extra?: Record<string, string>,
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendError(
  res: ServerResponse,
  encoding: BodyEncoding | undefined,
  status: number,
  message: string,
  extra?: Record<string, string>,
): void {
  // gRPC code: 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED (too large), 13 INTERNAL, 12 UNIMPLEMENTED otherwise.
  const grpc = status === 400 ? 3 : status === 413 ? 8 : status === 500 ? 13 : 12;
  if (encoding === 'protobuf')
    send(res, status, 'application/x-protobuf', statusProtobuf(grpc, message), extra);
  else if (encoding === 'json')
    send(res, status, 'application/json', JSON.stringify({ code: grpc, message }), extra);
  else send(res, status, 'text/plain; charset=utf-8', message + '\n', extra);
}

/** A request handler for `POST /v1/metrics`; mount it in any node:http server. */
export function createOtlpHandler(
  store: MergeStore,
  maxBodyBytes: number,
): (req: IncomingMessage, res: ServerResponse) => void {
  const reject = (
    res: ServerResponse,
    req: IncomingMessage,
    enc: BodyEncoding | undefined,
    err: RequestError,
  ): void => {
    bump(store.stats.rejectedRequests, err.reason);
    // Stop reading an oversized body; close the connection so the rest is not parsed as a request.
    const extra: Record<string, string> = err.status === 413 ? { Connection: 'close' } : {};
    if (err.status === 405) extra['Allow'] = 'POST';
    sendError(res, enc, err.status, err.message, extra);
    if (err.status === 413) req.resume();
  };
  return (req, res) => {
    const encoding = bodyEncodingOf(req.headers['content-type']);
    if (req.method !== 'POST') {
      req.resume();
      return reject(
        res,
        req,
        undefined,
        new RequestError(405, 'method_not_allowed', `${req.method ?? ''} is not allowed; use POST`),
      );
    }
    if (encoding === undefined) {
      req.resume();
      return reject(
        res,
        req,
        undefined,
        new RequestError(
          415,
          'unsupported_media_type',
          `Content-Type "${req.headers['content-type'] ?? ''}" is not supported (application/json, application/x-protobuf)`,
        ),
      );
    }
    readBody(req, maxBodyBytes)
      .then((raw) => decompress(raw, String(req.headers['content-encoding'] ?? ''), maxBodyBytes))
      .then((body) => {
        const request = decode(body, encoding);
        const result = store.ingest(request);
        bump(store.stats.requests, encoding);
        if (encoding === 'json') {
          const answer =
            result.rejected > 0
              ? {
                  partialSuccess: {
                    rejectedDataPoints: String(result.rejected),
                    errorMessage: result.message ?? '',
                  },
                }
              : { partialSuccess: {} }; // what the collector answers to a fully accepted request
          send(res, 200, 'application/json', JSON.stringify(answer));
        } else {
          send(res, 200, 'application/x-protobuf', responseProtobuf(result.rejected, result.message));
        }
      })
      .catch((err: unknown) => {
        if (err instanceof RequestError) return reject(res, req, encoding, err);
        // Not expected: answer 500 and keep serving.
        sendError(res, encoding, 500, `internal error: ${(err as Error)?.message ?? String(err)}`);
      });
  };
}

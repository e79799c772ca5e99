/**
 * `startAggregator`: the OTLP/HTTP receiver and the Prometheus endpoint over one merge store,
 * on node:http (two small routes; raw body streaming with a byte limit before anything is
 * buffered; no framework work on the 100k-series scrape path).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetricsHandler, METRICS_PATH } from './metrics-endpoint.js';
import { createOtlpHandler, OTLP_METRICS_PATH } from './otlp-receiver.js';
import {
  resolveAggregatorOptions,
  type AggregatorOptions,
  type ResolvedAggregatorOptions,
} from './options.js';
import { MergeStore } from './store.js';
import { bump } from './stats.js';

export interface Aggregator {
  /** Where workers export: `http://host:port/v1/metrics`. */
  readonly otlpUrl: string;
  /** Where Prometheus scrapes: `http://host:port/metrics`. */
  readonly metricsUrl: string;
  /** The merge store behind both endpoints. */
  readonly store: MergeStore;
  /** The options in force, defaults applied. */
  readonly options: ResolvedAggregatorOptions;
  /** Stops both servers and drops open connections. */
  close(): Promise<void>;
}

/** A merge store configured from validated options. */
export function createMergeStore(options: ResolvedAggregatorOptions): MergeStore {
  return new MergeStore({
    expireAfterMs: options.expireAfterSeconds * 1000,
    writerExpireAfterMs: options.writerExpireAfterSeconds * 1000,
    maxSeries: options.maxSeries,
    scopeLabels: options.scopeLabels,
    jobLabel: options.jobLabel,
    selfMetrics: options.selfMetrics,
  });
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function router(routes: ReadonlyMap<string, Handler>, store: MergeStore): Handler {
  return (req, res) => {
    const handler = routes.get(pathOf(req));
    if (handler !== undefined) return handler(req, res);
    req.resume();
    if (routes.has(OTLP_METRICS_PATH)) bump(store.stats.rejectedRequests, 'not_found');
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`not found; try ${[...routes.keys()].join(' or ')}\n`);
  };
}

/**
 * Keep idle connections longer than the SDK's default 60 s export interval, so an exporter's
 * keep-alive socket is not closed just as it sends the next export (a reset it would retry).
 */
const KEEP_ALIVE_MS = 65_000;

function serve(handler: Handler): Server {
  const server = createServer(handler);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return server;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the embedded aggregator: OTLP/HTTP on `otlpHost:otlpPort` (127.0.0.1:4318) and
 * Prometheus on `metricsHost:metricsPort` (127.0.0.1:8889). If both addresses are equal, one
 * server serves both paths. Options are validated first (`AggregatorConfigError`).
 */
export async function startAggregator(options: AggregatorOptions = {}): Promise<Aggregator> {
  const resolved = resolveAggregatorOptions(options);
  const store = createMergeStore(resolved);
  const otlp = createOtlpHandler(store, resolved.maxBodyBytes);
  const metrics = createMetricsHandler(store, {
    bearerToken: resolved.bearerToken,
    enableOpenMetrics: resolved.enableOpenMetrics,
    compressResponse: resolved.compressResponse,
  });
  const shared =
    resolved.otlpHost === resolved.metricsHost &&
    resolved.otlpPort === resolved.metricsPort &&
    resolved.otlpPort !== 0;
  const servers: Server[] = [];
  try {
    if (shared) {
      const server = serve(
        router(
          new Map([
            [OTLP_METRICS_PATH, otlp],
            [METRICS_PATH, metrics],
          ]),
          store,
        ),
      );
      servers.push(server);
      const addr = await listen(server, resolved.otlpHost, resolved.otlpPort);
      const base = `http://${urlHost(resolved.otlpHost)}:${addr.port}`;
      return build(`${base}${OTLP_METRICS_PATH}`, `${base}${METRICS_PATH}`);
    }
    const otlpServer = serve(router(new Map([[OTLP_METRICS_PATH, otlp]]), store));
    servers.push(otlpServer);
    const metricsServer = serve(router(new Map([[METRICS_PATH, metrics]]), store));
    servers.push(metricsServer);
    const a = await listen(otlpServer, resolved.otlpHost, resolved.otlpPort);
    const b = await listen(metricsServer, resolved.metricsHost, resolved.metricsPort);
    return build(
      `http://${urlHost(resolved.otlpHost)}:${a.port}${OTLP_METRICS_PATH}`,
      `http://${urlHost(resolved.metricsHost)}:${b.port}${METRICS_PATH}`,
    );
  } catch (err) {
    await Promise.all(servers.filter((s) => s.listening).map(closeServer));
    throw err;
  }

  function build(otlpUrl: string, metricsUrl: string): Aggregator {
    let closing: Promise<void> | undefined;
    return {
      otlpUrl,
      metricsUrl,
      store,
      options: resolved,
      close: () => (closing ??= Promise.all(servers.map(closeServer)).then(() => undefined)),
    };
  }
}

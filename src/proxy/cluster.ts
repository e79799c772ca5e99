// The proxy's process model. `startProxy` validates the config (errors name the key), then:
// - decides where metrics go: a collector when one is configured (litellm_settings.metrics_export.endpoint
//   or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT), else the embedded aggregator,
//   which this (primary) process runs;
// - with num_workers > 1, forks N node:cluster workers sharing the port, restarts a worker that dies
//   (exponential backoff, reset after a worker lived 10 s), and relays spend between workers;
// - with num_workers = 1, runs the one worker in this process (same pipeline: OTLP to the aggregator over
//   loopback, so /metrics reads the same merged view whichever mode runs).
// `close()` stops the workers (each finishes its requests and flushes its metrics), then the aggregator.

import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { startAggregator, type Aggregator } from '../aggregate/index.js';
import { loadProxyConfig, type ProxyConfig } from './config.js';
import { startSpendHub } from './spend.js';
import { startProxyWorker, WORKER_SPEC_ENV, type RunningWorker, type WorkerSpec } from './worker.js';

export interface ProxyOptions {
  /** Path of the YAML config (LiteLLM's shape). Required. */
  configPath: string;
  /** Listen host. Default `0.0.0.0` (LiteLLM's default). */
  host?: string;
  /** Listen port. Default 4000 (LiteLLM's default); 0 picks a free port. */
  port?: number;
  /** Worker processes. Default 1 (in-process). */
  numWorkers?: number;
  /** Where status lines go. Default stdout. */
  log?: (line: string) => void;
  /** Environment (collector endpoint variables). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningProxy {
  /** The proxy's base URL (`http://host:port`; `0.0.0.0` shown as `127.0.0.1`). */
  readonly url: string;
  readonly port: number;
  /**
   * `aggregator`: the embedded aggregator runs here; `collector`: workers export to a collector;
   * `disabled`: `metrics_export.enabled: false`, no metrics at all.
   */
  readonly mode: 'aggregator' | 'collector' | 'disabled';
  /** Where workers export (OTLP/HTTP metrics URL). */
  readonly otlpUrl: string;
  /** The aggregator's Prometheus URL (aggregator mode only). */
  readonly metricsUrl: string | undefined;
  readonly numWorkers: number;
  readonly config: ProxyConfig;
  /** Pids of the live workers (cluster mode), for tests and operators. */
  workerPids(): number[];
  /** Stops workers (flushing their metrics), then the aggregator. Idempotent. */
  close(): Promise<void>;
}

/** The collector endpoint configured for the workers, or undefined (embedded aggregator). */
export function collectorEndpoint(config: ProxyConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (config.metricsExport.endpoint) return config.metricsExport.endpoint;
  const specific = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim();
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (base) return `${base.endsWith('/') ? base : `${base}/`}v1/metrics`;
  return undefined;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function workerEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return self.replace(/cluster\.(ts|js)$/, (_m, ext: string) => `worker-main.${ext}`);
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

/** Starts the proxy (primary side). Throws ProxyConfigError for a bad config. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadProxyConfig(options.configPath, env);
  const host = options.host ?? '0.0.0.0';
  const port = options.port ?? 4000;
  const numWorkers = Math.max(1, Math.floor(options.numWorkers ?? 1));
  const ex = config.metricsExport;

  const collector = collectorEndpoint(config, env);
  let aggregator: Aggregator | undefined;
  if (collector === undefined && ex.enabled) {
    aggregator = await startAggregator({
      otlpHost: ex.aggregatorHost,
      otlpPort: ex.aggregatorOtlpPort,
      metricsHost: ex.aggregatorHost,
      metricsPort: ex.aggregatorPrometheusPort,
    });
  }
  const otlpUrl = collector ?? aggregator?.otlpUrl ?? 'disabled';
  const metricsUrl = aggregator?.metricsUrl;
  const spec = (index: number): WorkerSpec => ({
    configPath: options.configPath,
    host,
    port,
    exportEndpoint: otlpUrl,
    metricsUrl,
    index,
  });

  const base = {
    mode: !ex.enabled
      ? ('disabled' as const)
      : collector === undefined
        ? ('aggregator' as const)
        : ('collector' as const),
    otlpUrl,
    metricsUrl,
    numWorkers,
    config,
  };

  if (numWorkers === 1) {
    let worker: RunningWorker;
    try {
      worker = await startProxyWorker(spec(0), config);
    } catch (e) {
      await aggregator?.close();
      throw e;
    }
    let closing: Promise<void> | undefined;
    return {
      ...base,
      url: `http://${displayHost(host)}:${worker.port}`,
      port: worker.port,
      workerPids: () => [process.pid],
      close: () =>
        (closing ??= (async () => {
          await worker.stop();
          await aggregator?.close();
        })()),
    };
  }

  // ---- node:cluster
  cluster.setupPrimary({ exec: workerEntry(), args: [] });
  const hub = startSpendHub();
  const workers = new Map<number, Worker>();
  let closing: Promise<void> | undefined;
  let restarts = 0;

  const fork = (index: number): Worker => {
    const w = cluster.fork({ [WORKER_SPEC_ENV]: JSON.stringify(spec(index)) });
    const bornAt = Date.now();
    workers.set(index, w);
    w.on('message', (m: unknown) => hub.handle(m));
    w.on('exit', (code, signal) => {
      if (workers.get(index) === w) workers.delete(index);
      if (closing !== undefined || !started) return;
      const lived = Date.now() - bornAt;
      const delay = lived > 10_000 ? 100 : Math.min(5_000, 100 * 2 ** Math.min(restarts, 6));
      restarts = lived > 10_000 ? 0 : restarts + 1;
      log(
        `worker ${index} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`,
      );
      setTimeout(() => {
        if (closing === undefined) fork(index);
      }, delay).unref();
    });
    return w;
  };

  let started = false;
  let listenPort = port;
  try {
    listenPort = await new Promise<number>((resolve, reject) => {
      let listening = 0;
      let actual = port;
      const timer = setTimeout(
        () => reject(new Error(`workers did not start within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      for (let i = 0; i < numWorkers; i++) {
        const w = fork(i);
        w.once('listening', (addr) => {
          actual = addr.port;
          if (++listening === numWorkers) {
            clearTimeout(timer);
            resolve(actual);
          }
        });
        w.once('exit', (code) => {
          if (!started) {
            clearTimeout(timer);
            reject(new Error(`worker ${i} exited with code ${code} before listening`));
          }
        });
      }
    });
    started = true;
  } catch (e) {
    closing = Promise.resolve();
    for (const w of workers.values()) w.kill('SIGKILL');
    await aggregator?.close();
    throw e;
  }

  const stopWorkers = async (): Promise<void> => {
    const live = [...workers.values()].filter((w) => !w.isDead());
    await Promise.all(
      live.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const t = setTimeout(() => {
              log(`worker pid ${w.process.pid} did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
              w.process.kill('SIGKILL');
            }, STOP_TIMEOUT_MS);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            // Both: IPC reaches a started worker on every platform; SIGTERM also ends one still loading
            // its modules (nothing recorded yet), which has no handler to read the message.
            try {
              if (w.isConnected()) w.send('litellm-otel:stop', undefined, () => {});
            } catch {
              // channel gone: the signal does it
            }
            w.process.kill('SIGTERM');
          }),
      ),
    );
  };

  return {
    ...base,
    url: `http://${displayHost(host)}:${listenPort}`,
    port: listenPort,
    workerPids: () => [...workers.values()].filter((w) => !w.isDead()).map((w) => w.process.pid!),
    close: () =>
      (closing ??= (async () => {
        await stopWorkers();
        await aggregator?.close();
      })()),
  };
}

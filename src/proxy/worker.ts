// One proxy worker: its metrics pipeline (OTLP to the aggregator or collector), its recorder, and the
// Fastify app listening on the shared port. SIGTERM/SIGINT: stop taking requests, finish the ones in
// flight, flush the metrics, exit.

import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startWorkerMetrics, type WorkerMetrics } from '../export/index.js';
import { loadProxyConfig, type ProxyConfig } from './config.js';
import { createProxyApp } from './server.js';

export interface WorkerSpec {
  configPath: string;
  host: string;
  port: number;
  /** OTLP/HTTP metrics URL to export to. */
  exportEndpoint: string;
  /** Prometheus URL `GET /metrics` serves (absent in collector mode). */
  metricsUrl?: string;
  /** Worker index, for logs. */
  index: number;
}

export const WORKER_SPEC_ENV = 'LITELLM_OTEL_PROXY_WORKER';

export interface RunningWorker {
  readonly app: FastifyInstance;
  /** Undefined when metrics are disabled (`metrics_export.enabled: false`). */
  readonly metrics: WorkerMetrics | undefined;
  readonly config: ProxyConfig;
  readonly port: number;
  /** Stops the app (in-flight requests finish), flushes and shuts the metrics down. Idempotent. */
  stop(): Promise<void>;
}

function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}

/** Starts a worker in this process. */
export async function startProxyWorker(spec: WorkerSpec, config?: ProxyConfig): Promise<RunningWorker> {
  const cfg = config ?? loadProxyConfig(spec.configPath);
  const ex = cfg.metricsExport;
  // the recorder aggregates the histograms itself and the reader collects them (record/histograms.ts)
  const histograms = ex.enabled ? cfg.metrics.createHistogramProducer() : undefined;
  const metrics = ex.enabled
    ? startWorkerMetrics({
        views: cfg.metrics.views,
        histograms,
        serviceName: ex.serviceName,
        endpoint: spec.exportEndpoint,
        exportIntervalMillis: ex.exportIntervalMillis,
        temporality: ex.temporality,
        protocol: ex.protocol,
        exportThread: ex.exportThread,
        handleSignals: false,
      })
    : undefined;
  const recorder = metrics ? cfg.metrics.createRecorder(metrics.meterProvider, { histograms }) : undefined;
  const app = await createProxyApp({
    config: cfg,
    recorder,
    metricsUrl: spec.metricsUrl,
    exportEndpoint: spec.exportEndpoint,
  });
  await app.listen({ host: spec.host, port: spec.port });
  const port = (app.server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    app,
    metrics,
    config: cfg,
    port,
    stop: () =>
      (stopping ??= (async () => {
        await bounded(app.close(), 10_000);
        await metrics?.shutdown();
      })()),
  };
}

/** The node:cluster worker's main: spec from the environment, report the port, stop on signals. */
export async function runClusterWorker(): Promise<void> {
  const raw = process.env[WORKER_SPEC_ENV];
  if (!raw) throw new Error(`${WORKER_SPEC_ENV} is not set: this entry runs only as a proxy worker`);
  const spec = JSON.parse(raw) as WorkerSpec;
  // Handlers first: a stop asked while the worker is still starting is honoured once it has started.
  const started: { worker?: RunningWorker } = {};
  let stopRequested = false;
  let stopping = false;
  const stop = () => {
    const worker = started.worker;
    if (stopping || worker === undefined) return;
    stopping = true;
    void worker.stop().finally(() => process.exit(0));
  };
  const onSignal = () => {
    stopRequested = true;
    stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The primary went away (crashed or exited first): stop too. IPC errors after that are expected.
  process.once('disconnect', onSignal);
  cluster.worker?.on('error', () => {});
  // The primary asks for a stop over IPC and with SIGTERM (a signal may not reach a worker on every platform).
  process.on('message', (m: unknown) => {
    if (m === 'litellm-otel:stop') onSignal();
  });
  const worker = (started.worker = await startProxyWorker(spec));
  if (stopRequested) return stop();
  process.send?.({ litellmOtel: 'listening', port: worker.port, index: spec.index });
}

// Restarting the collector on the SAME ports (the workers keep their endpoint, Prometheus its target):
// `startCollector` with a further config source that pins the OTLP/HTTP receiver and the prometheus
// exporter to the previous run's ports. The other endpoints (gRPC, telemetry, health) get new free
// ports. The returned URLs are those of the pinned ports.

import { startCollector, type RunningCollector } from './collector.js';

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Starts a new collector (shipped config) whose OTLP/HTTP and Prometheus ports are `previous`'s. */
export async function startCollectorOnPortsOf(previous: RunningCollector): Promise<RunningCollector> {
  const otlpPort = portOf(previous.otlpHttpUrl);
  const metricsPort = portOf(previous.metricsUrl);
  const pin = {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${otlpPort}` } } } },
    exporters: { prometheus: { endpoint: `127.0.0.1:${metricsPort}` } },
  };
  const next = await startCollector({ extraConfigs: [`yaml:${JSON.stringify(pin)}`] });
  return {
    ...next,
    otlpHttpUrl: previous.otlpHttpUrl,
    otlpMetricsUrl: previous.otlpMetricsUrl,
    metricsUrl: previous.metricsUrl,
  };
}

// Starts the natively built OpenTelemetry Collector (scripts/build-collector.sh) with the SHIPPED
// otel-collector.yaml for a test. Only the bind addresses and ports change: every endpoint moves to
// 127.0.0.1 on a free port. The override is a second config source merged after the shipped file:
//   otelcol-litellm --config <otel-collector.yaml> --config 'yaml:{"receivers":{...}}'
// (the `yaml:` provider reads its text as YAML, and JSON is YAML; maps merge key by key, later wins).

import { spawn, type ChildProcess } from 'node:child_process';
import { freePorts } from './free-ports.js';
import { requireCollectorBinary, shippedCollectorConfig } from './collector-binary.js';

export interface StartCollectorOptions {
  /** The collector binary. Default: the one scripts/build-collector.sh built (error if not built). */
  binary?: string;
  /** The config to run. Default: the repo's otel-collector.yaml. */
  configPath?: string;
  /** How long to wait for health_check to answer 200. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL. Default 5 000 ms. */
  stopTimeoutMs?: number;
  /**
   * More config sources (`--config` values such as `yaml:{...}` or a file path) merged after the
   * loopback override. Only for tests that must change the pipeline (e.g. a negative control);
   * everything else runs the shipped config as is. Default none.
   */
  extraConfigs?: string[];
}

export interface RunningCollector {
  /** OTLP/HTTP base URL, e.g. http://127.0.0.1:41234 (POST metrics to `${otlpHttpUrl}/v1/metrics`). */
  otlpHttpUrl: string;
  /** The OTLP/HTTP metrics endpoint: `${otlpHttpUrl}/v1/metrics`, what the JS exporter's `url` wants. */
  otlpMetricsUrl: string;
  /** OTLP/gRPC endpoint host:port. */
  otlpGrpcEndpoint: string;
  /** The prometheus exporter's page (the merged series). */
  metricsUrl: string;
  /** The collector's own telemetry page (otelcol_* metrics). */
  telemetryUrl: string;
  /** health_check endpoint. */
  healthUrl: string;
  pid: number;
  /** Everything the collector printed so far (last 256 KiB). */
  output(): string;
  /** SIGTERM, then SIGKILL after stopTimeoutMs; resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
}

const MAX_OUTPUT = 256 * 1024;
const START_ATTEMPTS = 3;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** If the test process ends while a collector still runs, kill it (a synchronous kill works in 'exit'). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** The override merged after the shipped config: loopback endpoints on the given ports, nothing else. */
export function loopbackOverride(ports: {
  otlpGrpc: number;
  otlpHttp: number;
  metrics: number;
  telemetry: number;
  health: number;
}): string {
  const override = {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${ports.otlpGrpc}` },
          http: { endpoint: `127.0.0.1:${ports.otlpHttp}` },
        },
      },
    },
    exporters: { prometheus: { endpoint: `127.0.0.1:${ports.metrics}` } },
    extensions: { health_check: { endpoint: `127.0.0.1:${ports.health}` } },
    // A list is replaced, not merged: this is the whole readers list of the shipped file, rebound.
    service: {
      telemetry: {
        metrics: {
          readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: ports.telemetry } } } }],
        },
      },
    },
  };
  return `yaml:${JSON.stringify(override)}`;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function isHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function startOnce(
  binary: string,
  configPath: string,
  extraConfigs: string[],
  readyTimeoutMs: number,
  stopTimeoutMs: number,
): Promise<RunningCollector | { portInUse: true; output: string }> {
  const [otlpGrpc, otlpHttp, metrics, telemetry, health] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const args = [
    '--config',
    configPath,
    '--config',
    loopbackOverride({ otlpGrpc, otlpHttp, metrics, telemetry, health }),
    ...extraConfigs.flatMap((c) => ['--config', c]),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  installExitHook();
  let out = '';
  const append = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > MAX_OUTPUT) out = out.slice(out.length - MAX_OUTPUT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  child.once('exit', () => live.delete(child));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (await waitForExit(child, 0)) return;
      child.kill('SIGTERM');
      if (await waitForExit(child, stopTimeoutMs)) return;
      child.kill('SIGKILL');
      if (!(await waitForExit(child, 5000))) {
        throw new Error(`collector pid ${child.pid} did not exit after SIGKILL`);
      }
    })();
    return stopping;
  };

  const healthUrl = `http://127.0.0.1:${health}/`;
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) {
      live.delete(child);
      throw new Error(`cannot start collector ${binary}: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/address already in use/i.test(out)) return { portInUse: true, output: out };
      throw new Error(
        `collector exited (code ${child.exitCode}, signal ${child.signalCode}) before ready:\n${out}`,
      );
    }
    if (await isHealthy(healthUrl)) {
      return {
        otlpHttpUrl: `http://127.0.0.1:${otlpHttp}`,
        otlpMetricsUrl: `http://127.0.0.1:${otlpHttp}/v1/metrics`,
        otlpGrpcEndpoint: `127.0.0.1:${otlpGrpc}`,
        metricsUrl: `http://127.0.0.1:${metrics}/metrics`,
        telemetryUrl: `http://127.0.0.1:${telemetry}/metrics`,
        healthUrl,
        pid: child.pid ?? -1,
        output: () => out,
        stop,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`collector not healthy at ${healthUrl} within ${readyTimeoutMs} ms:\n${out}`);
}

/**
 * Starts the collector with the shipped config on loopback and free ports, and resolves once
 * health_check answers 200. Rejects (leaving no process behind) if it exits or is not ready in time.
 */
export async function startCollector(options: StartCollectorOptions = {}): Promise<RunningCollector> {
  const binary = options.binary ?? requireCollectorBinary();
  const configPath = options.configPath ?? shippedCollectorConfig;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  let lastOutput = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const result = await startOnce(
      binary,
      configPath,
      options.extraConfigs ?? [],
      readyTimeoutMs,
      stopTimeoutMs,
    );
    if (!('portInUse' in result)) return result;
    lastOutput = result.output;
  }
  throw new Error(`collector could not bind its ports in ${START_ATTEMPTS} attempts:\n${lastOutput}`);
}

// `litellm-otel proxy`: the reference proxy with LiteLLM's flags, and `litellm-otel demo`: the fake LLM,
// the proxy with 4 workers and the embedded aggregator from the example config (what `npm start` runs).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { startProxy, type RunningProxy } from '../proxy/cluster.js';
import { ProxyConfigError } from '../proxy/config.js';

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** Stops `close` on the first SIGINT/SIGTERM; a second one exits at once. */
function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`second ${signal}: exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`${signal}: stopping (workers finish their requests and flush their metrics)...\n`);
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function reportStartError(what: string, e: unknown): void {
  const msg = e instanceof ProxyConfigError ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`litellm-otel ${what}: ${msg}\n`);
  process.exitCode = 1;
}

function printProxy(p: RunningProxy): void {
  const lines = [
    `litellm-otel proxy listening on ${p.url} (${p.numWorkers} worker${p.numWorkers === 1 ? '' : 's'})`,
    p.mode === 'aggregator'
      ? `metrics: ${p.url}/metrics (embedded aggregator: OTLP ${p.otlpUrl}, Prometheus ${p.metricsUrl})`
      : p.mode === 'collector'
        ? `metrics: exported over OTLP to the collector at ${p.otlpUrl}`
        : 'metrics: disabled (litellm_settings.metrics_export.enabled: false)',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface ProxyFlags {
  config: string;
  port: number;
  host: string;
  num_workers: number;
}

/** Adds `proxy` and `demo` to the `litellm-otel` program. */
export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description('run the reference OpenAI-compatible proxy (LiteLLM config shape) with LiteLLM metrics')
    .requiredOption('-c, --config <file>', 'YAML config in LiteLLM shape (model_list, router_settings, ...)')
    .option('--port <port>', 'listen port (LiteLLM default)', intArg('--port', 0, 65535), 4000)
    .option('--host <host>', 'listen host', '0.0.0.0')
    .option(
      '--num_workers <n>',
      'worker processes (node:cluster); 1 runs in this process',
      intArg('--num_workers', 1, 256),
      1,
    )
    .action(async (flags: ProxyFlags) => {
      let proxy: RunningProxy;
      try {
        proxy = await startProxy({
          configPath: flags.config,
          port: flags.port,
          host: flags.host,
          numWorkers: flags.num_workers,
        });
      } catch (e) {
        return reportStartError('proxy', e);
      }
      printProxy(proxy);
      stopOnSignals(() => proxy.close());
    });

  program
    .command('demo')
    .description('run the fake LLM, the proxy with 4 workers and the embedded aggregator (npm start)')
    .option('-c, --config <file>', 'proxy config', defaultExampleConfig())
    .option('--port <port>', 'proxy port', intArg('--port', 0, 65535), 4000)
    .option('--num_workers <n>', 'proxy workers', intArg('--num_workers', 1, 256), 4)
    .action(async (flags: { config: string; port: number; num_workers: number }) => {
      const { runDemo } = await import('./demo.js');
      try {
        const demo = await runDemo({
          configPath: flags.config,
          port: flags.port,
          numWorkers: flags.num_workers,
        });
        stopOnSignals(() => demo.close());
      } catch (e) {
        reportStartError('demo', e);
      }
    });
}

/** `examples/proxy-config.yaml` of the package (from src/cli or dist/cli). */
export function defaultExampleConfig(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const rel of ['../../examples/proxy-config.yaml', '../examples/proxy-config.yaml']) {
    const p = fileURLToPath(new URL(rel, `file://${here}`));
    if (existsSync(p)) return p;
  }
  return 'examples/proxy-config.yaml';
}
